//! One change per provider and kind, for the tests that put every provider through the same
//! fault (`bare_429.rs`, `break10_deadline.rs`): the simulator's operation it is counted
//! under, the request, and who answers it. The targets are the policy harness's
//! (`policy.rs`), which a test file that uses this one declares beside it.

#![allow(dead_code)] // each test file uses its own part of it

use rescind_core::{CancelRequest, ItemSelector};
use rescind_sim::Operation;
use rescind_sim::arta::demo;

use crate::policy::{self, Who};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    ArtaCancel,
    /// A POST, not idempotent; Arta documents its 429, so it is sent again after one.
    ArtaHold,
    DiCancel,
    SkipPayWhole,
    /// Quantities: not idempotent, not resent after an undocumented 429.
    SkipPayQuantity,
}

impl Case {
    pub const ALL: [Case; 5] = [
        Case::ArtaCancel,
        Case::ArtaHold,
        Case::DiCancel,
        Case::SkipPayWhole,
        Case::SkipPayQuantity,
    ];

    /// The simulator's operation the change is counted under.
    pub fn operation(self) -> Operation {
        match self {
            Case::ArtaCancel => Operation::ArtaCancelSession,
            Case::ArtaHold => Operation::ArtaHold,
            Case::DiCancel => Operation::DiCancelOrder,
            Case::SkipPayWhole => Operation::SkipPayCancelOrder,
            Case::SkipPayQuantity => Operation::SkipPayCancelItems,
        }
    }

    pub fn request(self) -> CancelRequest {
        match self {
            Case::ArtaCancel => CancelRequest::whole("42"),
            Case::ArtaHold => {
                CancelRequest::hold(demo::PENDING, Some(jiff::civil::date(2026, 12, 1)))
            }
            Case::DiCancel => CancelRequest::whole(policy::DI_CANCELLABLE),
            Case::SkipPayWhole => CancelRequest::whole(policy::SP_READY),
            Case::SkipPayQuantity => CancelRequest::items(
                policy::SP_READY_TWO,
                vec![ItemSelector::by_code("MS-202").quantity(1.into())],
            ),
        }
    }

    pub fn who(self) -> Who {
        match self {
            Case::ArtaCancel | Case::ArtaHold => Who::Arta,
            Case::DiCancel => Who::Di,
            Case::SkipPayWhole | Case::SkipPayQuantity => Who::SkipPay,
        }
    }

    /// Whether the provider documents its 429 (Arta, x-topic "Rate Limits"): a refusal.
    pub fn documented_429(self) -> bool {
        self.who() == Who::Arta
    }
}
