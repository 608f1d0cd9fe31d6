//! A person's data and its deletion: the export and erasure on request (`person/`), the
//! purge of what is kept no longer (`retention.rs`), and deleting what hangs on a row, which
//! both share (`deletion.rs`).

pub(crate) mod deletion;
pub(crate) mod person;
pub(crate) mod retention;

handle! {
    /// A person's data: its export and erasure, and the purge of what is kept no longer.
    Privacy by privacy
}

impl Privacy<'_> {
    /// The file `id` of any lead of the company, held ones too, with its bytes: for a
    /// person's data export.
    pub fn attachment(
        &self,
        company_id: crate::CompanyId,
        id: crate::AttachmentId,
    ) -> crate::Result<crate::AttachmentFile> {
        self.store
            .read(|conn| crate::team::attachments::file(conn, Some(company_id), id, false))
    }
}
