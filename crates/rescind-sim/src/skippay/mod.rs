//! The simulated Skip Pay API.

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::Sim;

/// Skip Pay's part of the simulator's state, and of a seed file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SkipPayWorld {}

/// Skip Pay's routes, on the provider's real paths.
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
}
