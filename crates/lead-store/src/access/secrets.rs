//! Secrets of the installation itself, shared by every instance through the database: the key
//! that signs the login form's CSRF token. Made by the first server that needs one.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::access::Access;
use crate::db::dialect;
use crate::schema::server_secrets;
use crate::{Result, Store, StoreError};

impl Access<'_> {
    /// The secret called `name`; made by `make` and kept if there is none yet. Instances
    /// starting together agree: the first one's is kept, the others' discarded.
    pub fn server_secret_or_make(&self, name: &str, make: impl FnOnce() -> String) -> Result<String> {
        let read = |store: &Store| {
            store.read(|conn| {
                Ok(server_secrets::table
                    .find(name)
                    .select(server_secrets::secret)
                    .first::<String>(conn)
                    .optional()?)
            })
        };
        if let Some(secret) = read(self.store)? {
            return Ok(secret);
        }
        let made = make();
        self.store.write(|conn| {
            let insert = diesel::insert_into(server_secrets::table)
                .values((
                    server_secrets::name.eq(name),
                    server_secrets::secret.eq(&made),
                    server_secrets::created_at.eq(Timestamp::now().millis()),
                ))
                .on_conflict_do_nothing();
            dialect::each_backend!(&mut *conn, c => insert.execute(c))?;
            Ok(())
        })?;
        read(self.store)?.ok_or_else(|| StoreError::corrupt(format!("the secret {name} was written but is not there")))
    }
}
