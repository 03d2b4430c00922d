BEGIN TRANSACTION;
CREATE TABLE drafts (
        integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
        form           TEXT NOT NULL,
        updated_at     REAL NOT NULL
    );
CREATE TABLE history (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        integration_id     TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        uuid               TEXT NOT NULL UNIQUE,
        event              TEXT NOT NULL,
        title              TEXT,
        external_thread_id TEXT,
        thread_title       TEXT,
        status_value       TEXT,
        status_color       TEXT,
        sent_at            REAL NOT NULL,
        message_id         INTEGER,
        thread_id          TEXT
    );
INSERT INTO "history" VALUES(1,'35a62395d8014dcd8f4e9741ef29ed20','8441ba36-3d32-4524-ad62-e0bb675c0759','activity','deploy started','deploy:1','Deploy started','started','yellow',1700000036.25,101,'thr-deploy:1');
INSERT INTO "history" VALUES(2,'35a62395d8014dcd8f4e9741ef29ed20','5e597a42-6d94-4f70-bf10-1da868850aa7','activity','deploy running','deploy:1','Deploy running',NULL,NULL,1700000058.0,102,'thr-deploy:1');
INSERT INTO "history" VALUES(3,'35a62395d8014dcd8f4e9741ef29ed20','41c7decc-4b99-4e0a-afde-e72a54cbb678','activity','second deploy','deploy:2','Second deploy','started','yellow',1700000079.75,NULL,NULL);
INSERT INTO "history" VALUES(4,'35a62395d8014dcd8f4e9741ef29ed20','c1ba239a-2e15-481b-b580-a9b0c6575f55','activity','second deploy done','deploy:2','Second deploy done','done','green',1700000101.5,104,'thr-deploy:2');
INSERT INTO "history" VALUES(5,'35a62395d8014dcd8f4e9741ef29ed20','35712581-dc0f-4cce-9665-7a0f43dab509','discussion','comment',NULL,NULL,NULL,NULL,1700000123.25,105,'thr-deploy:1');
INSERT INTO "history" VALUES(6,'35a62395d8014dcd8f4e9741ef29ed20','0077064a-7666-4243-83be-a8be28908c2a','activity','deploy finished','deploy:1','Deploy finished','done','green',1700000159.5,106,'thr-deploy:1');
CREATE TABLE integrations (
        id                TEXT PRIMARY KEY,
        api_url           TEXT NOT NULL,
        flow_id           TEXT NOT NULL,
        flow_name         TEXT NOT NULL,
        organization_name TEXT NOT NULL,
        org_slug          TEXT NOT NULL,
        flow_slug         TEXT NOT NULL,
        source_id         INTEGER NOT NULL,
        source_name       TEXT NOT NULL,
        source_url        TEXT NOT NULL,
        application_name  TEXT NOT NULL DEFAULT '',
        account_user_id   TEXT,
        created_at        REAL NOT NULL,
        state             TEXT NOT NULL DEFAULT 'active'
                          CHECK (state IN ('active', 'removed')),
        removed_at        REAL
    );
INSERT INTO "integrations" VALUES('35a62395d8014dcd8f4e9741ef29ed20','http://127.0.0.1:8123','flow-main','Main','Acme','acme','main',1,'Deploy bot','http://127.0.0.1:8123/flows/acme/main/sources/1','Flowdock Desktop','7',1700000007.25,'active',NULL);
INSERT INTO "integrations" VALUES('9370e472914042a8ae6045891eacbbb7','http://127.0.0.1:8123','flow-main','Main','Acme','acme','main',2,'Build bot','http://127.0.0.1:8123/flows/acme/main/sources/2','Flowdock Desktop','7',1700000014.5,'removed',1700000239.25);
CREATE TABLE known_apps (api_url TEXT, client_id TEXT, redirect_uri TEXT, name TEXT,
    sandbox INT, used REAL, PRIMARY KEY (api_url, client_id)) WITHOUT ROWID;
CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        integration_id  TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
        uuid            TEXT NOT NULL UNIQUE,
        payload         TEXT NOT NULL,
        state           TEXT NOT NULL
                        CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'gone')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        claimed_at      REAL,
        last_error      TEXT,
        created_at      REAL NOT NULL,
        sent_at         REAL,
        response        TEXT
    , claimed_by TEXT);
INSERT INTO "outbox" VALUES(1,'35a62395d8014dcd8f4e9741ef29ed20','8441ba36-3d32-4524-ad62-e0bb675c0759','{"event":"activity","title":"deploy started","author":{"name":"Bot"},"external_thread_id":"deploy:1","thread":{"title":"Deploy started","status":{"value":"started","color":"yellow"}},"uuid":"8441ba36-3d32-4524-ad62-e0bb675c0759"}','sent',1,1700000021.75,NULL,NULL,1700000021.75,1700000036.25,'{"id":101,"thread_id":"thr-deploy:1","event":"activity","uuid":"8441ba36-3d32-4524-ad62-e0bb675c0759"}','vm:16494');
INSERT INTO "outbox" VALUES(2,'35a62395d8014dcd8f4e9741ef29ed20','5e597a42-6d94-4f70-bf10-1da868850aa7','{"event":"activity","title":"deploy running","author":{"name":"Bot"},"external_thread_id":"deploy:1","thread":{"title":"Deploy running"},"uuid":"5e597a42-6d94-4f70-bf10-1da868850aa7"}','sent',1,1700000043.5,NULL,NULL,1700000043.5,1700000058.0,'{"id":102,"thread_id":"thr-deploy:1","event":"activity","uuid":"5e597a42-6d94-4f70-bf10-1da868850aa7"}','vm:16494');
INSERT INTO "outbox" VALUES(3,'35a62395d8014dcd8f4e9741ef29ed20','41c7decc-4b99-4e0a-afde-e72a54cbb678','{"event":"activity","title":"second deploy","author":{"name":"Bot"},"external_thread_id":"deploy:2","thread":{"title":"Second deploy","status":{"value":"started","color":"yellow"}},"uuid":"41c7decc-4b99-4e0a-afde-e72a54cbb678"}','sent',1,1700000065.25,NULL,NULL,1700000065.25,1700000079.75,NULL,'vm:16494');
INSERT INTO "outbox" VALUES(5,'35a62395d8014dcd8f4e9741ef29ed20','35712581-dc0f-4cce-9665-7a0f43dab509','{"event":"discussion","title":"comment","author":{"name":"Bot"},"thread_id":"thr-deploy:1","uuid":"35712581-dc0f-4cce-9665-7a0f43dab509"}','sent',1,1700000108.75,NULL,NULL,1700000108.75,1700000123.25,'{"id":105,"thread_id":"thr-deploy:1","event":"discussion","uuid":"35712581-dc0f-4cce-9665-7a0f43dab509"}','vm:16494');
INSERT INTO "outbox" VALUES(6,'35a62395d8014dcd8f4e9741ef29ed20','d8aa12c8-b2a9-4c52-b1e9-af0b7bba4c87','{"event":"activity","title":"bad one","author":{"name":"Bot"},"external_thread_id":"deploy:3","thread":{"title":"Bad one","status":{"value":"oops","color":"yellow"}},"uuid":"d8aa12c8-b2a9-4c52-b1e9-af0b7bba4c87"}','failed',1,1700000130.5,NULL,'Flowdock refused the message: title is too long.',1700000130.5,NULL,NULL,'vm:16494');
INSERT INTO "outbox" VALUES(7,'35a62395d8014dcd8f4e9741ef29ed20','0077064a-7666-4243-83be-a8be28908c2a','{"event":"activity","title":"deploy finished","author":{"name":"Bot"},"external_thread_id":"deploy:1","thread":{"title":"Deploy finished","status":{"value":"done","color":"green"}},"uuid":"0077064a-7666-4243-83be-a8be28908c2a"}','sent',1,1700000145.0,NULL,NULL,1700000145.0,1700000159.5,'{"id":106,"thread_id":"thr-deploy:1","event":"activity","uuid":"0077064a-7666-4243-83be-a8be28908c2a"}','vm:16494');
INSERT INTO "outbox" VALUES(8,'9370e472914042a8ae6045891eacbbb7','f0ac907a-a8dd-442e-9d3a-e501bb919c9d','{"event":"activity","title":"build started","author":{"name":"Bot"},"external_thread_id":"build:7","thread":{"title":"Build started","status":{"value":"started","color":"yellow"}},"uuid":"f0ac907a-a8dd-442e-9d3a-e501bb919c9d"}','sent',1,1700000166.75,NULL,NULL,1700000166.75,1700000181.25,'{"id":107,"thread_id":"thr-build:7","event":"activity","uuid":"f0ac907a-a8dd-442e-9d3a-e501bb919c9d"}','vm:16494');
INSERT INTO "outbox" VALUES(9,'9370e472914042a8ae6045891eacbbb7','24a92dbe-3e1c-4936-bdcc-6a8461f0d9c1','{"event":"activity","title":"build passed","author":{"name":"Bot"},"external_thread_id":"build:7","thread":{"title":"Build passed","status":{"value":"done","color":"green"}},"uuid":"24a92dbe-3e1c-4936-bdcc-6a8461f0d9c1"}','sent',1,1700000188.5,NULL,NULL,1700000188.5,1700000203.0,'{"id":108,"thread_id":"thr-build:7","event":"activity","uuid":"24a92dbe-3e1c-4936-bdcc-6a8461f0d9c1"}','vm:16494');
INSERT INTO "outbox" VALUES(10,'9370e472914042a8ae6045891eacbbb7','31dbb02a-9b10-4104-9d44-e532fdddae2b','{"event":"activity","title":"refused build","author":{"name":"Bot"},"external_thread_id":"build:8","thread":{"title":"Refused build"},"uuid":"31dbb02a-9b10-4104-9d44-e532fdddae2b"}','gone',1,1700000210.25,NULL,'“Build bot” was removed in Flowdock.',1700000210.25,NULL,NULL,'vm:16494');
INSERT INTO "outbox" VALUES(11,'9370e472914042a8ae6045891eacbbb7','248b4dda-5dfd-46b0-810c-40e1e1fa2b6b','{"event":"activity","title":"never sent","author":{"name":"Bot"},"external_thread_id":"build:9","thread":{"title":"Never sent"},"uuid":"248b4dda-5dfd-46b0-810c-40e1e1fa2b6b"}','gone',1,1700000224.75,NULL,'“Build bot” was removed in Flowdock.',1700000224.75,NULL,NULL,'vm:16494');
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO "schema_version" VALUES(3);
CREATE TABLE templates (
        name       TEXT PRIMARY KEY COLLATE NOCASE,
        fields     TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
CREATE INDEX integrations_by_source ON integrations (api_url, source_id);
CREATE INDEX integrations_by_flow ON integrations (api_url, flow_id);
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_integration ON outbox (integration_id, id);
CREATE INDEX history_by_integration ON history (integration_id, sent_at);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('outbox',11);
INSERT INTO "sqlite_sequence" VALUES('history',8);
COMMIT;
