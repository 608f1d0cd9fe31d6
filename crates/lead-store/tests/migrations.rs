//! What a migration does to data already there (SQLite: the migrations that rebuild a table).

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Runs the migrations up to and including `version`.
fn migrate_to(conn: &mut SqliteConnection, version: &str) {
    loop {
        let applied = conn.applied_migrations().unwrap();
        if applied
            .iter()
            .any(|done| done.to_string().replace('-', "") == version.replace('-', ""))
        {
            return;
        }
        conn.run_next_migration(MIGRATIONS).unwrap();
    }
}

#[test]
fn rebuilding_the_notes_keeps_every_id_ever_given_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    migrate_to(&mut conn, "2026-12-06-000008");
    // Notes without their company, employee and customer: only the ids matter here.
    diesel::sql_query("PRAGMA foreign_keys = OFF")
        .execute(&mut conn)
        .unwrap();
    for id in 1..=3 {
        diesel::sql_query(format!(
            "INSERT INTO notes (id, company_id, employee_id, customer_id, text, created_at) VALUES ({id}, 1, 1, 1, 'Notiz {id}', 0)"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    // The newest note goes (an erasure, say): its id was given all the same.
    diesel::sql_query("DELETE FROM notes WHERE id = 3")
        .execute(&mut conn)
        .unwrap();

    conn.run_pending_migrations(MIGRATIONS).unwrap();
    // A later migration that rebuilds tables switches the foreign keys on again at its end.
    diesel::sql_query("PRAGMA foreign_keys = OFF")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(
        "INSERT INTO notes (company_id, employee_id, customer_id, text, created_at) VALUES (1, NULL, 1, 'neu', 0)",
    )
    .execute(&mut conn)
    .unwrap();
    let ids: Vec<Id> = diesel::sql_query("SELECT id FROM notes ORDER BY id")
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        ids.iter().map(|row| row.id).collect::<Vec<_>>(),
        [1, 2, 4],
        "3 is never given again; a note may have no author"
    );
}

#[test]
fn rebuilding_the_tickets_for_pending_keeps_every_ticket_and_id_and_what_hangs_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    migrate_to(&mut conn, "2026-12-06-000011");
    for statement in [
        "INSERT INTO companies (id, name, active, created_at) VALUES (1, 'Acme', 1, 0)",
        "INSERT INTO api_keys (id, company_id, prefix, key_hash, label, active, created_at) VALUES (1, 1, 'p', 'h', '', 1, 0)",
        "INSERT INTO tickets (id, company_id, api_key_id, email, email_normalized, title, message, status, payload, created_at, owner_id) \
         VALUES (1, 1, 1, 'a@b.de', 'a@b.de', 'Eins', 'Hallo', 'closed', '{}', 5, NULL)",
        "INSERT INTO tickets (id, company_id, api_key_id, email, email_normalized, title, message, status, payload, created_at) \
         VALUES (2, 1, 1, 'c@d.de', 'c@d.de', 'Zwei', 'Hallo', 'open', '{}', 6)",
        "INSERT INTO attachments (id, company_id, ticket_id, filename, content_type, size, sha256, scan, created_at, data) \
         VALUES (1, 1, 2, 'a.txt', 'text/plain', 1, 'x', 'off', 6, X'41')",
        // The newest ticket goes (an erasure): its id was given all the same.
        "INSERT INTO tickets (id, company_id, api_key_id, email, email_normalized, title, message, status, payload, created_at) \
         VALUES (3, 1, 1, 'e@f.de', 'e@f.de', 'Drei', 'Hallo', 'open', '{}', 7)",
        "DELETE FROM tickets WHERE id = 3",
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }

    conn.run_pending_migrations(MIGRATIONS).unwrap();
    let ids = |conn: &mut SqliteConnection, sql: &str| -> Vec<i64> {
        diesel::sql_query(sql)
            .load::<Id>(conn)
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect()
    };
    assert_eq!(ids(&mut conn, "SELECT id FROM tickets WHERE status = 'closed'"), [1]);
    assert_eq!(
        ids(
            &mut conn,
            "SELECT id FROM attachments WHERE ticket_id = 2 AND data = X'41'"
        ),
        [1]
    );
    diesel::sql_query("UPDATE tickets SET status = 'pending' WHERE id = 2")
        .execute(&mut conn)
        .unwrap();
    assert!(
        diesel::sql_query("UPDATE tickets SET status = 'waiting' WHERE id = 2")
            .execute(&mut conn)
            .is_err(),
        "the check stays"
    );
    diesel::sql_query(
        "INSERT INTO tickets (company_id, api_key_id, email, email_normalized, title, message, payload, created_at) \
         VALUES (1, 1, 'g@h.de', 'g@h.de', 'Vier', 'Hallo', '{}', 8)",
    )
    .execute(&mut conn)
    .unwrap();
    assert_eq!(
        ids(&mut conn, "SELECT id FROM tickets ORDER BY id"),
        [1, 2, 4],
        "3 is never given again"
    );
    assert!(ids(&mut conn, "PRAGMA foreign_key_check").is_empty());
}
