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
