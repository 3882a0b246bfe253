//! The simulator's state, which is also the format of a seed file (`rescind sim --seed FILE`).

use serde::{Deserialize, Serialize};

use crate::arta::ArtaWorld;
use crate::di::DiWorld;
use crate::skippay::SkipPayWorld;

/// The version of the seed-file format this simulator writes.
///
/// | version | what changed |
/// |---|---|
/// | 1 | the first format; its files have no `version` field |
/// | 2 | `version`; Arta's `test_api_keys` and `rate_limits`; the simulator's own wire types (a hosted session's `quoting_strategy`, `customs_end_use`, `customs_process` default to Arta's documented defaults when a file leaves them out or sets them to `null`) |
///
/// A version-1 file reads as version 2 unchanged: everything version 2 added may be left out.
pub const SEED_VERSION: u32 = 2;

fn version_one() -> u32 {
    1
}

/// Everything the simulator knows: accounts, targets and their states, per provider.
/// A seed file is this, as JSON; [`World::demo`] is the data set the demo and tests start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct World {
    /// The seed-file format's version ([`SEED_VERSION`] when written; 1 for a file without
    /// one). A file of a newer version than [`SEED_VERSION`] is refused.
    #[serde(default = "version_one")]
    pub version: u32,
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

impl Default for World {
    fn default() -> Self {
        World {
            version: SEED_VERSION,
            arta: ArtaWorld::default(),
            di: DiWorld::default(),
            skippay: SkipPayWorld::default(),
        }
    }
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

    /// Reads a seed file's content, of any version up to [`SEED_VERSION`], as the current
    /// version. The error names the JSON path that is wrong.
    pub fn from_json(json: &str) -> Result<World, String> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let mut world: World = serde_path_to_error::deserialize(de)
            .map_err(|e| format!("seed: at `{}`: {}", e.path(), e.inner()))?;
        if world.version > SEED_VERSION {
            return Err(format!(
                "seed: at `version`: version {} is newer than this simulator reads \
                 ({SEED_VERSION} at most)",
                world.version
            ));
        }
        if world.version == 0 {
            return Err("seed: at `version`: versions start at 1".into());
        }
        world.version = SEED_VERSION;
        Ok(world)
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

    /// A seed file as it was written before the format had a version (the demo seed as it
    /// was committed then), byte for byte.
    const SEED_V1: &str = include_str!("../tests/fixtures/seed_v1_demo.json");

    #[test]
    fn a_seed_without_version_still_loads_as_the_current_version() {
        assert!(!SEED_V1.contains("\"version\""));
        let old = World::from_json(SEED_V1).unwrap();
        assert_eq!(old.version, SEED_VERSION);
        assert_eq!(
            old.arta.api_keys,
            vec![crate::arta::DEMO_API_KEY.to_string()]
        );
        assert!(old.arta.rate_limits.enabled);
        let session = &old.arta.hosted_sessions[0];
        // Its `null`s read as Arta's documented defaults.
        assert_eq!(session.quoting_strategy, "best_rate");
        assert_eq!(session.customs_end_use, "not_for_resale");
        assert_eq!(session.customs_process, "ddu");
        assert_eq!(
            old.skippay.applications.len(),
            World::demo().skippay.applications.len()
        );
        assert_eq!(old.di, World::demo().di);
        // Written again, it is a current-version file.
        let json = serde_json::to_value(&old).unwrap();
        assert_eq!(json["version"], SEED_VERSION);
    }

    #[test]
    fn the_demo_seed_says_its_version_and_a_newer_one_is_refused() {
        let demo: serde_json::Value = serde_json::from_str(DEMO_SEED).unwrap();
        assert_eq!(demo["version"], SEED_VERSION);
        let err = World::from_json(&format!(r#"{{"version": {}}}"#, SEED_VERSION + 1)).unwrap_err();
        assert!(err.contains("version"), "{err}");
        assert!(World::from_json(r#"{"version": 0}"#).is_err());
        assert_eq!(World::from_json("{}").unwrap(), World::default());
    }

    #[test]
    fn a_bad_seed_names_the_path() {
        let err = World::from_json(r#"{"arta": 3}"#).unwrap_err();
        assert!(err.contains("arta"), "{err}");
    }
}
