-- A dce-store database as schema version 1 (before sites) made it: the old DDL and a few
-- rows. tests/cli/store_migrate.sh loads it with sqlite3 and checks the upgrade in place.
CREATE TABLE schema_version (version BIGINT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE devices (
  id TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  class TEXT, vendor TEXT, model TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX devices_key ON devices (id);
CREATE TABLE series (
  id INTEGER PRIMARY KEY, device TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL,
  unit TEXT, source TEXT);
CREATE UNIQUE INDEX series_key ON series (device, metric, labels);
CREATE TABLE readings (
  series BIGINT NOT NULL, ts BIGINT NOT NULL, num DOUBLE PRECISION, txt TEXT, extra TEXT,
  PRIMARY KEY (series, ts)) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, hash BIGINT NOT NULL, source TEXT, device TEXT, name TEXT,
  severity TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX events_key ON events (ts, hash);
CREATE TABLE certs (
  id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, hash BIGINT NOT NULL, endpoint TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX certs_key ON certs (ts, hash);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, tool TEXT NOT NULL, check_id TEXT NOT NULL,
  target TEXT NOT NULL, status TEXT NOT NULL, severity TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX findings_key ON findings (tool, check_id, target, ts);
CREATE TABLE errors (
  id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, hash BIGINT NOT NULL, tool TEXT, target TEXT, code TEXT,
  rec TEXT NOT NULL);
CREATE UNIQUE INDEX errors_key ON errors (ts, hash);
CREATE TABLE others (
  id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, hash BIGINT NOT NULL, type TEXT NOT NULL, rec TEXT NOT NULL);
CREATE UNIQUE INDEX others_key ON others (type, ts, hash);
INSERT INTO schema_version VALUES (1, '2026-10-01T00:00:00.000Z');
INSERT INTO devices VALUES ('snmp://127.0.0.1:16100', 1790000000000, 1795332600000, 'ups', 'APC', 'Smart-UPS 1500',
  '{"type":"device","ts":"2026-11-22T07:30:00.000Z","id":"snmp://127.0.0.1:16100","target":"127.0.0.1","transport":"snmp","vendor":"APC","model":"Smart-UPS 1500","class":"ups"}');
INSERT INTO series VALUES (1, 'snmp://127.0.0.1:16100', 'ups.battery.charge', '', 'percent', '1.3.6.1.4.1.318.1.1.1.2.2.1.0');
INSERT INTO readings VALUES (1, 1795332600000, 100, NULL, NULL);
INSERT INTO readings VALUES (1, 1795332660000, 98, NULL, NULL);
INSERT INTO events VALUES (1, 1795332720000, 7, '127.0.0.1', NULL, 'upsOnBattery', 'high',
  '{"type":"event","ts":"2026-11-22T07:32:00.000Z","source":"127.0.0.1","transport":"snmp","name":"upsOnBattery","severity":"high"}');
INSERT INTO findings VALUES (1, 1795332840000, 'dce-audit', 'snmp.v2c-disabled', '127.0.0.1', 'fail', 'high',
  '{"type":"finding","ts":"2026-11-22T07:34:00.000Z","tool":"dce-audit","check":"snmp.v2c-disabled","target":"127.0.0.1","status":"fail","severity":"high","message":"SNMPv2c answers."}');
