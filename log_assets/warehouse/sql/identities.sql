-- analytics.identities, and the name map analytics.events and analytics.incidents resolve user_key
-- with. A person is an e-mail address (lower case). A record that carries both a display name and
-- an e-mail (Forcepoint `user` or firstname + lastname with `email`; Aperture `item_owner` with
-- `item_owner_email`) teaches that the name is that person's. A record with only the name (Aperture
-- activity_monitoring's `user` when it is not an address, an incident record without
-- item_owner_email) then gets that e-mail as its key, when the name went with exactly one address.
-- A name seen with two or more addresses is ambiguous: its records keep the lower-cased name.

-- name: days
-- _warehouse.identity_days for the days of the filter: who the records of each day x
-- vendor name, as they name them (a name that is an e-mail address is no display name). Only the
-- log types whose name and e-mail are one person's teach: cloudaudit's and cloudsummary's e-mail
-- may be the file's `owner` while the name is the actor, and a type the catalog does not know
-- takes its e-mail from whatever field it has (analytics.events); their e-mail is not learned.
SELECT event_day, vendor,
       CASE WHEN user_name NOT LIKE '%_@_%' THEN lower(user_name) END AS name_key,
       CASE WHEN @{one_person} THEN lower(user_email) END AS email_key,
       min(user_name) FILTER (WHERE user_name NOT LIKE '%_@_%') AS display_name,
       min(user_email) FILTER (WHERE @{one_person}) AS email,
       count(*) AS events,
       min(event_time) AS first_seen,
       max(event_time) AS last_seen
FROM analytics.events
WHERE (user_name IS NOT NULL OR user_email IS NOT NULL) AND @{day_filter}
GROUP BY event_day, vendor, name_key, email_key

-- name: delete_days
DELETE FROM _warehouse.identity_days WHERE @{day_filter};

-- name: insert_days
INSERT INTO _warehouse.identity_days BY NAME @{select};

-- name: names
-- The name map as the days now teach it: every display name seen with an address, the number of
-- addresses, and the one it resolves to (NULL when ambiguous).
CREATE OR REPLACE TEMP TABLE _names AS
SELECT name_key,
       CASE WHEN count(DISTINCT email_key) = 1 THEN min(email_key) END AS user_key,
       count(DISTINCT email_key) AS emails
FROM _warehouse.identity_days
WHERE name_key IS NOT NULL AND email_key IS NOT NULL
GROUP BY name_key;

-- name: renamed
-- The names whose key changed (new, now resolved, now ambiguous, or gone).
CREATE OR REPLACE TEMP TABLE _renamed AS
SELECT coalesce(n.name_key, o.name_key) AS name_key
FROM _names n FULL JOIN _warehouse.identity_names o ON o.name_key = n.name_key
WHERE n.user_key IS DISTINCT FROM o.user_key OR n.name_key IS NULL OR o.name_key IS NULL;

-- name: clear_names
DELETE FROM _warehouse.identity_names;

-- name: store_names
INSERT INTO _warehouse.identity_names BY NAME SELECT * FROM _names;

-- name: log_renamed_days
-- The days with records that carry only a renamed name: their user_key changed (analytics.events,
-- activity_daily and the Forcepoint incidents of those days are recomputed and published again).
INSERT INTO _warehouse.changes
SELECT DISTINCT $seq, $table_name, event_day FROM _warehouse.identity_days
WHERE email_key IS NULL AND name_key IN (SELECT name_key FROM _renamed);

-- name: log_renamed_incidents
-- The Aperture incidents keyed on a renamed name (they are recomputed by incident_id).
INSERT INTO _warehouse.changed_keys
SELECT DISTINCT $seq, $table_name, incident_id FROM analytics.incidents
WHERE vendor = 'aperture' AND user_email IS NULL AND lower(user_name) IN (SELECT name_key FROM _renamed);

-- name: ambiguous
SELECT count(*) FROM _warehouse.identity_names WHERE emails > 1;

-- name: select
-- analytics.identities: one row per person (user_key, an address), from every record keyed on it:
-- those with the address and those with only a name that resolves to it. display_name is the name
-- most of them carry (then the smallest); ambiguous_names the names seen with this address that went
-- with another one too (their records are not keyed on it). event_day, the table's partition, is the
-- day of last_seen: a sync rewrites the few days its active people were last seen on, not the days
-- they were first seen on, spread over the whole history.
WITH keyed AS (
    SELECT d.*, coalesce(d.email_key, n.user_key) AS user_key
    FROM _warehouse.identity_days d
    LEFT JOIN _warehouse.identity_names n ON d.email_key IS NULL AND n.name_key = d.name_key
),
people AS (
    SELECT user_key, min(email) AS email, list_sort(list_distinct(list(vendor))) AS vendors,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(events)::BIGINT AS events
    FROM keyed WHERE user_key IS NOT NULL
    GROUP BY user_key
),
names AS (
    SELECT k.user_key, k.name_key, min(k.display_name) AS display_name, sum(k.events) AS events,
           coalesce(any_value(n.emails), 0) > 1 AS ambiguous
    FROM keyed k LEFT JOIN _warehouse.identity_names n ON n.name_key = k.name_key
    WHERE k.user_key IS NOT NULL AND k.name_key IS NOT NULL
    GROUP BY k.user_key, k.name_key
),
named AS (
    SELECT user_key,
           list(display_name ORDER BY events DESC, display_name) FILTER (WHERE NOT ambiguous) AS display_names,
           list_sort(list(display_name) FILTER (WHERE ambiguous)) AS ambiguous_names
    FROM names
    GROUP BY user_key
)
SELECT utc_day(p.last_seen) AS event_day, p.user_key,
       m.display_names[1] AS display_name,
       list_sort(coalesce(m.display_names, [])) AS display_names,
       p.email, p.vendors, p.first_seen, p.last_seen, p.events,
       coalesce(m.ambiguous_names, []) AS ambiguous_names
FROM people p LEFT JOIN named m ON m.user_key = p.user_key

-- name: compute
CREATE OR REPLACE TEMP TABLE _identities AS @{select};

-- name: changed
-- The people whose row is new, differs or is gone.
CREATE OR REPLACE TEMP TABLE _people AS
SELECT user_key AS key FROM (SELECT * FROM _identities EXCEPT SELECT * FROM analytics.identities)
UNION
SELECT user_key FROM (SELECT * FROM analytics.identities EXCEPT SELECT * FROM _identities);

-- name: changed_rows
SELECT * FROM _identities WHERE user_key IN (SELECT key FROM _people)

-- name: resolve
-- (A record's user_key from its e-mail and name, both trimmed text: the lower-cased address; else
-- the address the name resolves to; else the lower-cased name.)
lower(coalesce(@{email},
               (SELECT n.user_key FROM _warehouse.identity_names n WHERE n.name_key = lower(@{name})),
               @{name}))
