//! Who may act: companies, their employees, API keys, employee tokens and dashboard sessions,
//! logins and passwords, the audit log of changes to access, the installation's secret, and
//! the scope an operation reaches.

pub(crate) mod audit;
pub(crate) mod companies;
pub(crate) mod employees;
pub(crate) mod keys;
pub(crate) mod logins;
pub(crate) mod passwords;
pub(crate) mod routing;
pub(crate) mod scope;
pub(crate) mod secrets;
pub(crate) mod tokens;

handle! {
    /// Who may act: companies and their employees, API keys, employee tokens, dashboard sessions
/// and logins, passwords, the installation's secret, and the audit log.
    Access by access
}
