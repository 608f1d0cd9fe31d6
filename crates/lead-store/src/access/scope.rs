//! Whose rows an operation may touch: the operator's command line reaches every company's, a
//! company's admin only their own — and another company's row is answered exactly like one
//! that does not exist, by the store itself, in the transaction that changes it.

use crate::ids::CompanyId;

/// Whose rows an operation may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The operator: any company's.
    Everyone,
    /// A company's admin or member: that company's alone.
    Company(CompanyId),
}

impl Scope {
    /// Whether a row of `company` is within the scope.
    pub fn reaches(self, company: CompanyId) -> bool {
        match self {
            Scope::Everyone => true,
            Scope::Company(own) => own == company,
        }
    }
}
