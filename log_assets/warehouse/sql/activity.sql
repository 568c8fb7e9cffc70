-- name: select
-- analytics.activity_daily for the days matching @{day_filter}.
SELECT event_day, vendor, user_name, user_email, app_name, action,
       count(*) AS events,
       sum(bytes_out) AS bytes_out,
       sum(bytes_in) AS bytes_in,
       count(DISTINCT src_ip) AS source_ips
FROM analytics.events
WHERE @{day_filter}
GROUP BY ALL
