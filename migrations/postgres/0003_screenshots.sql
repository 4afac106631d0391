-- Screenshots taken by desktop agents; the image files live under the hub's data folder.

CREATE TABLE screenshots (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    user_id      BIGINT  NOT NULL REFERENCES users(id),
    session_id   BIGINT  REFERENCES work_sessions(id),
    captured_at  BIGINT  NOT NULL,
    width        BIGINT  NOT NULL,
    height       BIGINT  NOT NULL,
    bytes        BIGINT  NOT NULL,
    path         TEXT    NOT NULL,
    client_id    TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX screenshots_client_id ON screenshots (user_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX screenshots_user_captured ON screenshots (user_id, captured_at);
CREATE INDEX screenshots_session ON screenshots (session_id);
