//! The simulator's state, which is also the format of a seed file (`rescind sim --seed FILE`).

use serde::{Deserialize, Serialize};

use crate::arta::ArtaWorld;
use crate::di::DiWorld;
use crate::skippay::SkipPayWorld;

/// Everything the simulator knows: accounts, targets and their states, per provider.
/// A seed file is this, as JSON; [`World::demo`] is the data set the demo and tests start from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct World {
    /// Arta: API keys, hosted sessions, shipments, exceptions.
    #[serde(default)]
    pub arta: ArtaWorld,
    /// Di: users, booked orders.
    #[serde(default)]
    pub di: DiWorld,
    /// Skip Pay: partner users, applications and their orders.
    #[serde(default)]
    pub skippay: SkipPayWorld,
}

/// The demo data set, kept in the repository as `seed/demo.json`: the same format as a seed
/// file and as `GET /__sim/state`.
pub const DEMO_SEED: &str = include_str!("../seed/demo.json");

impl World {
    /// The documented demo data set (`seed/demo.json`): every interesting case of each
    /// provider, described in each provider module's docs.
    pub fn demo() -> World {
        World::from_json(DEMO_SEED).expect("seed/demo.json is valid: a test checks it")
    }

    /// Reads a seed file's content. The error names the JSON path that is wrong.
    pub fn from_json(json: &str) -> Result<World, String> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de)
            .map_err(|e| format!("seed: at `{}`: {}", e.path(), e.inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_reads_and_round_trips() {
        let world = World::demo();
        let json = serde_json::to_string(&world).unwrap();
        assert_eq!(World::from_json(&json).unwrap(), world);
    }

    #[test]
    fn the_demo_credentials_are_in_the_demo_seed() {
        let world = World::demo();
        assert!(
            world
                .arta
                .api_keys
                .iter()
                .any(|k| k == crate::arta::DEMO_API_KEY)
        );
        let (user, password) = crate::di::DEMO_USER;
        assert!(
            world
                .di
                .users
                .iter()
                .any(|u| u.username == user && u.password == password)
        );
    }

    #[test]
    fn a_bad_seed_names_the_path() {
        let err = World::from_json(r#"{"arta": 3}"#).unwrap_err();
        assert!(err.contains("arta"), "{err}");
    }
}
