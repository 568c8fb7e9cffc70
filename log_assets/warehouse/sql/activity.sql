-- name: select
-- analytics.activity_daily for the days matching @{day_filter}: per day x vendor x user_key x
-- application x action. user_name / user_email are the smallest of the group's (a key can come
-- with several spellings of a name).
SELECT event_day, vendor, user_key, min(user_name) AS user_name, min(user_email) AS user_email, app_name, "action",
       count(*) AS events,
       sum(bytes_out) AS bytes_out,
       sum(bytes_in) AS bytes_in,
       count(DISTINCT src_ip) AS source_ips
FROM analytics.events
WHERE @{day_filter}
GROUP BY event_day, vendor, user_key, app_name, "action"
