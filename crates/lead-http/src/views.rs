//! The JSON shapes of the team API.

pub use lead_present::views::{
    CustomerChangeView, CustomerFileView, CustomerView, DeliveryView, DeviceView, MessageView, NoteView,
    NotificationView, OrderView, SubmissionView, TicketView,
};
use serde::Serialize;

/// One page of a list: the items, and the cursor of the next page (`null` on the last).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` fetched records: the extra one only says that more exist.
    pub fn from_fetched<R>(mut records: Vec<R>, limit: i64, id: impl Fn(&R) -> i64, view: impl Fn(R) -> T) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = records.len() > limit;
        records.truncate(limit);
        let next_cursor = if more {
            records.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            items: records.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}
