//! `cargo xtask publish`: checks that every crate meant for crates.io keeps what crates.io and
//! docs.rs need, then runs `cargo publish --workspace --dry-run --locked`.
//!
//! The metadata check reads `cargo metadata` (so workspace inheritance is resolved) and each
//! crate's `cargo package --list`: it fails if a published crate loses its description,
//! licence, readme, keywords, categories, docs.rs link or settings, rust-version, gets a
//! placeholder repository, a versioned dev-dependency on a workspace crate (a cycle crates.io
//! cannot take), or stops packaging its README, licence texts or the files its build reads.

use std::path::Path;

use crate::json::{self, Json};
use crate::{cargo, root, run};

/// The crates published to crates.io; every other workspace member has `publish = false`.
pub const PUBLISHED: &[&str] = &[
    "rescind-core",
    "rescind-arta",
    "rescind-di",
    "rescind-skippay",
    "rescind",
    "rescind-sim",
    "rescind-cli",
];

/// The licence every crate carries (LICENSE-MIT and LICENSE-APACHE at the root).
const LICENSE: &str = "MIT OR Apache-2.0";

/// Files each published crate's package must hold, besides its `src/`.
const PACKAGED: &[&str] = &["README.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// Files a crate's build reads from outside `src/` (`include_str!`), which its package must hold.
const BUILD_FILES: &[(&str, &str)] = &[("rescind-sim", "seed/demo.json")];

/// Category slugs crates.io accepts that fit the crates of this workspace
/// (<https://crates.io/category_slugs>); crates.io ignores an unknown slug with only a warning.
const CATEGORIES: &[&str] = &[
    "api-bindings",
    "asynchronous",
    "command-line-utilities",
    "development-tools",
    "development-tools::testing",
    "network-programming",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
];

/// The biggest file a package may hold: a larger one is data its build does not need.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// `cargo xtask publish [--metadata-only]`.
pub fn publish(metadata_only: bool) -> Result<(), String> {
    check()?;
    if metadata_only {
        return Ok(());
    }
    dry_run()
}

/// The metadata and package-content check (seconds).
pub fn check() -> Result<(), String> {
    eprintln!("\n==> publish metadata of {}", PUBLISHED.join(", "));
    let out = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed ({})", out.status));
    }
    let meta = json::parse(&String::from_utf8_lossy(&out.stdout))
        .map_err(|e| format!("cargo metadata output: {e}"))?;
    let mut problems = check_metadata(&meta, &|p: &Path| p.is_file());
    // With the dependency graph: the rust-version each published crate declares must be at
    // least that of every crate it builds (all platforms, normal and build dependencies).
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed ({})", out.status));
    }
    let full = json::parse(&String::from_utf8_lossy(&out.stdout))
        .map_err(|e| format!("cargo metadata output: {e}"))?;
    problems.extend(check_rust_version(&full));
    for name in PUBLISHED {
        let files = package_list(name)?;
        problems.extend(check_package_files(name, &files, &|rel| {
            let path = root().join("crates").join(name).join(rel);
            std::fs::metadata(path).ok().map(|m| m.len())
        }));
    }
    if problems.is_empty() {
        eprintln!("publish metadata: complete for {} crates", PUBLISHED.len());
        Ok(())
    } else {
        Err(format!(
            "publish metadata problems:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Removes what earlier dry runs left of our crates. Cargo unpacks each package of the dry
/// run's local registry under `$CARGO_HOME/registry/src/-<hash>/NAME-VERSION` and does not
/// unpack it again while that folder exists, and it takes a registry crate's build as fresh
/// while its version is unchanged; so a later dry run verified a crate against the *earlier*
/// build of its sibling (seen: a new core function "not found"). Both are removed: the unpacked
/// sources (only local registries, folders starting with `-`, and our crates' names) and, with
/// `cargo clean -p`, our crates' builds in the workspace's `target/` (rebuilt in seconds).
fn forget_earlier_packages() -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let src = home.map(|h| h.join("registry").join("src"));
    let registries = src.and_then(|src| std::fs::read_dir(src).ok());
    for registry in registries.into_iter().flatten().flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(packages) = std::fs::read_dir(registry.path()) else {
            continue;
        };
        for package in packages.flatten() {
            let name = package.file_name().to_string_lossy().into_owned();
            let ours = PUBLISHED.iter().any(|crate_name| {
                name.strip_prefix(&format!("{crate_name}-"))
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours {
                std::fs::remove_dir_all(package.path())
                    .map_err(|e| format!("cannot remove {}: {e}", package.path().display()))?;
            }
        }
    }
    let mut clean = cargo();
    clean
        .arg("clean")
        .env("CARGO_TARGET_DIR", root().join("target"));
    for name in PUBLISHED {
        clean.args(["-p", name]);
    }
    run("cargo clean of the published crates' builds", &mut clean)
}

/// `cargo publish --workspace --dry-run --locked`: packages every published crate and builds
/// each package as crates.io would, against the others packaged alongside. The verify builds
/// use the workspace's `target/` (set explicitly, whatever `CARGO_TARGET_DIR` says), so the
/// dependencies already built there are reused.
fn dry_run() -> Result<(), String> {
    let start = std::time::Instant::now();
    forget_earlier_packages()?;
    // `--allow-dirty`: the gate checks the working tree as it is, committed or not.
    run(
        "cargo publish --workspace --dry-run --locked",
        cargo()
            .args([
                "publish",
                "--workspace",
                "--dry-run",
                "--locked",
                "--allow-dirty",
            ])
            .env("CARGO_TARGET_DIR", root().join("target")),
    )?;
    eprintln!(
        "publish dry run: {} crates packaged and verified in {:.0} s",
        PUBLISHED.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The files `cargo package` would put in `name`'s package.
fn package_list(name: &str) -> Result<Vec<String>, String> {
    let out = cargo()
        .args(["package", "--list", "--locked", "--allow-dirty", "-p", name])
        .output()
        .map_err(|e| format!("cargo package --list -p {name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo package --list -p {name} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// What `name`'s package lacks or holds in excess; `size` gives a packaged file's size from its
/// path in the crate (`None` for the files cargo writes itself).
pub fn check_package_files(
    name: &str,
    files: &[String],
    size: &dyn Fn(&str) -> Option<u64>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let has = |f: &str| files.iter().any(|x| x == f);
    for f in PACKAGED {
        if !has(f) {
            problems.push(format!("{name}: the package lacks {f}"));
        }
    }
    if !has("src/lib.rs") && !has("src/main.rs") {
        problems.push(format!(
            "{name}: the package has no src/lib.rs or src/main.rs"
        ));
    }
    for (krate, f) in BUILD_FILES {
        if *krate == name && !has(f) {
            problems.push(format!(
                "{name}: the package lacks {f}, which its build reads"
            ));
        }
    }
    for f in files {
        if f.starts_with("tests/") || f.starts_with("target/") {
            problems.push(format!(
                "{name}: the package holds {f} (tests and build output stay in the repository)"
            ));
        }
        if let Some(bytes) = size(f).filter(|b| *b > MAX_FILE_BYTES) {
            problems.push(format!(
                "{name}: the package holds {f}, {bytes} bytes (more than {MAX_FILE_BYTES})"
            ));
        }
    }
    problems
}

/// What the workspace's `cargo metadata` lacks for publishing; `exists` says whether a file
/// exists (the readme).
pub fn check_metadata(meta: &Json, exists: &dyn Fn(&Path) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    let packages = meta.get("packages").items();
    for wanted in PUBLISHED {
        if !packages
            .iter()
            .any(|p| p.get("name").as_str() == Some(wanted))
        {
            problems.push(format!("{wanted}: not a workspace member"));
        }
    }
    for p in packages {
        let name = p.get("name").as_str().unwrap_or("?");
        let published = match p.get("publish") {
            Json::Null => true,
            Json::Array(registries) => !registries.is_empty(),
            _ => true,
        };
        if !PUBLISHED.contains(&name) {
            if published {
                problems.push(format!(
                    "{name}: not meant for crates.io, so it needs `publish = false`"
                ));
            }
            continue;
        }
        if !published {
            problems.push(format!("{name}: has `publish = false` but is published"));
        }
        let text = |key: &str| p.get(key).as_str().filter(|s| !s.trim().is_empty());
        if text("description").is_none() {
            problems.push(format!("{name}: no description"));
        }
        if text("license") != Some(LICENSE) {
            problems.push(format!("{name}: license is not `{LICENSE}`"));
        }
        if text("rust_version").is_none() {
            problems.push(format!("{name}: no rust-version"));
        }
        match text("readme") {
            None => problems.push(format!("{name}: no readme")),
            Some(readme) => {
                let dir = p
                    .get("manifest_path")
                    .as_str()
                    .map(|m| Path::new(m).parent().unwrap_or(Path::new("")).to_path_buf())
                    .unwrap_or_default();
                if !exists(&dir.join(readme)) {
                    problems.push(format!("{name}: readme {readme} does not exist"));
                }
            }
        }
        let docs_rs = format!("https://docs.rs/{name}");
        let docs_rs_crate = format!("https://docs.rs/crate/{name}");
        match text("documentation") {
            Some(d) if d == docs_rs || d == docs_rs_crate => {}
            other => problems.push(format!("{name}: documentation is {other:?}, not {docs_rs}")),
        }
        for key in ["repository", "homepage"] {
            if let Some(url) = text(key)
                && (url.contains(".invalid") || url.contains("example."))
            {
                problems.push(format!(
                    "{name}: {key} is a placeholder ({url}); leave it out until there is a real one"
                ));
            }
        }
        let keywords = p.get("keywords").items();
        if keywords.is_empty() || keywords.len() > 5 {
            problems.push(format!(
                "{name}: {} keywords (crates.io takes 1 to 5)",
                keywords.len()
            ));
        }
        for k in keywords {
            let k = k.as_str().unwrap_or("");
            let valid = !k.is_empty()
                && k.len() <= 20
                && k.starts_with(|c: char| c.is_ascii_alphabetic())
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'));
            if !valid {
                problems.push(format!("{name}: keyword {k:?} is not one crates.io takes"));
            }
        }
        let categories = p.get("categories").items();
        if categories.is_empty() || categories.len() > 5 {
            problems.push(format!(
                "{name}: {} categories (crates.io takes 1 to 5)",
                categories.len()
            ));
        }
        for c in categories {
            let c = c.as_str().unwrap_or("");
            if !CATEGORIES.contains(&c) {
                problems.push(format!(
                    "{name}: category {c:?} is not a known crates.io slug"
                ));
            }
        }
        if p.get("metadata").get("docs").get("rs").get("all-features") != &Json::Bool(true) {
            problems.push(format!(
                "{name}: no `[package.metadata.docs.rs] all-features = true`"
            ));
        }
        for dep in p.get("dependencies").items() {
            let dep_name = dep.get("name").as_str().unwrap_or("?");
            if dep.get("path") == &Json::Null {
                continue;
            }
            let req = dep.get("req").as_str().unwrap_or("*");
            let dev = dep.get("kind").as_str() == Some("dev");
            if dev && req != "*" {
                problems.push(format!(
                    "{name}: dev-dependency {dep_name} has a version ({req}); workspace crates are path-only dev-dependencies"
                ));
            }
            if !dev && req == "*" {
                problems.push(format!(
                    "{name}: dependency {dep_name} has no version; a published crate's dependencies need one"
                ));
            }
        }
    }
    problems
}

/// `1.89` or `1.89.0` as (major, minor, patch); a missing version reads as 0.0.0.
fn version(text: Option<&str>) -> (u64, u64, u64) {
    let mut parts = text
        .unwrap_or("0")
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Published crates whose declared rust-version is lower than that of a crate they build
/// (`meta` is `cargo metadata` with the resolved graph).
pub fn check_rust_version(meta: &Json) -> Vec<String> {
    use std::collections::BTreeMap;
    let packages: BTreeMap<&str, &Json> = meta
        .get("packages")
        .items()
        .iter()
        .filter_map(|p| Some((p.get("id").as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Json> = meta
        .get("resolve")
        .get("nodes")
        .items()
        .iter()
        .filter_map(|n| Some((n.get("id").as_str()?, n)))
        .collect();
    let mut problems = Vec::new();
    for (id, p) in &packages {
        let name = p.get("name").as_str().unwrap_or("?");
        if !PUBLISHED.contains(&name) || p.get("source") != &Json::Null {
            continue;
        }
        let declared = version(p.get("rust_version").as_str());
        // Every crate built with it: normal and build dependencies, transitively.
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![*id];
        while let Some(at) = stack.pop() {
            if !seen.insert(at) {
                continue;
            }
            let Some(node) = nodes.get(at) else { continue };
            for dep in node.get("deps").items() {
                let built = dep
                    .get("dep_kinds")
                    .items()
                    .iter()
                    .any(|k| k.get("kind").as_str() != Some("dev"));
                if let (true, Some(pkg)) = (built, dep.get("pkg").as_str()) {
                    stack.push(pkg);
                }
            }
        }
        let mut highest: Option<((u64, u64, u64), &str)> = None;
        for dep_id in seen {
            if let Some(dep) = packages.get(dep_id) {
                let v = version(dep.get("rust_version").as_str());
                if highest.is_none_or(|(h, _)| v > h) {
                    highest = Some((v, dep.get("name").as_str().unwrap_or("?")));
                }
            }
        }
        if let Some((needed, by)) = highest.filter(|(v, _)| *v > declared) {
            problems.push(format!(
                "{name}: rust-version is {}.{}, but {by} needs {}.{}.{}",
                declared.0, declared.1, needed.0, needed.1, needed.2
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `cargo metadata` document whose packages are all complete.
    fn good() -> String {
        let mut packages: Vec<String> = PUBLISHED
            .iter()
            .map(|name| {
                format!(
                    r#"{{"name": "{name}", "publish": null, "description": "d", "license": "{LICENSE}",
                    "rust_version": "1.89", "readme": "README.md",
                    "manifest_path": "/w/crates/{name}/Cargo.toml",
                    "documentation": "https://docs.rs/{name}", "repository": null,
                    "keywords": ["cancel"], "categories": ["api-bindings"],
                    "metadata": {{"docs": {{"rs": {{"all-features": true}}}}}},
                    "dependencies": [
                        {{"name": "rescind-core", "kind": null, "req": "^0.1.0", "path": "/w/crates/rescind-core"}},
                        {{"name": "rescind-sim", "kind": "dev", "req": "*", "path": "/w/crates/rescind-sim"}},
                        {{"name": "serde", "kind": "dev", "req": "^1"}}
                    ]}}"#
                )
            })
            .collect();
        packages.push(r#"{"name": "xtask", "publish": [], "dependencies": []}"#.into());
        format!(r#"{{"packages": [{}]}}"#, packages.join(","))
    }

    fn problems(doc: &str) -> Vec<String> {
        check_metadata(&json::parse(doc).unwrap(), &|p: &Path| {
            p.ends_with("README.md")
        })
    }

    #[test]
    fn complete_metadata_passes() {
        assert_eq!(problems(&good()), Vec::<String>::new());
    }

    #[test]
    fn each_missing_or_wrong_field_is_reported() {
        let first = PUBLISHED[0];
        let cases = [
            (
                r#""description": "d""#,
                r#""description": " ""#,
                "no description",
            ),
            (
                r#""license": "MIT OR Apache-2.0""#,
                r#""license": "MIT""#,
                "license",
            ),
            (
                r#""rust_version": "1.89""#,
                r#""rust_version": null"#,
                "rust-version",
            ),
            (r#""readme": "README.md""#, r#""readme": null"#, "no readme"),
            (
                r#""readme": "README.md""#,
                r#""readme": "README""#,
                "does not exist",
            ),
            (
                r#""keywords": ["cancel"]"#,
                r#""keywords": []"#,
                "0 keywords",
            ),
            (
                r#""keywords": ["cancel"]"#,
                r#""keywords": ["a", "b", "c", "d", "e", "f"]"#,
                "6 keywords",
            ),
            (
                r#""keywords": ["cancel"]"#,
                r#""keywords": ["two words"]"#,
                "keyword",
            ),
            (
                r#""categories": ["api-bindings"]"#,
                r#""categories": []"#,
                "0 categories",
            ),
            (
                r#""categories": ["api-bindings"]"#,
                r#""categories": ["http"]"#,
                "not a known crates.io slug",
            ),
            (
                r#""repository": null"#,
                r#""repository": "https://example.invalid/rescind""#,
                "placeholder",
            ),
            (
                r#""all-features": true"#,
                r#""all-features": false"#,
                "docs.rs",
            ),
            (r#""publish": null"#, r#""publish": []"#, "publish = false"),
            (
                r#""kind": "dev", "req": "*""#,
                r#""kind": "dev", "req": "^0.1.0""#,
                "path-only",
            ),
            (
                r#""kind": null, "req": "^0.1.0""#,
                r#""kind": null, "req": "*""#,
                "no version",
            ),
        ];
        for (from, to, expected) in cases {
            let doc = good();
            // Break the first package only.
            let at = doc
                .find(from)
                .unwrap_or_else(|| panic!("{from} not in the document"));
            let broken = format!("{}{}{}", &doc[..at], to, &doc[at + from.len()..]);
            let found = problems(&broken);
            assert!(
                found
                    .iter()
                    .any(|p| p.starts_with(&format!("{first}:")) && p.contains(expected)),
                "{from} -> {to}: expected a problem with {expected:?}, got {found:?}"
            );
        }
        let doc = good().replace(
            r#""documentation": "https://docs.rs/rescind-core""#,
            r#""documentation": null"#,
        );
        assert!(
            problems(&doc)
                .iter()
                .any(|p| p.contains("rescind-core: documentation"))
        );
    }

    #[test]
    fn a_published_crate_missing_or_an_unpublished_one_publishing_is_reported() {
        let doc = good().replace(r#""name": "rescind-di""#, r#""name": "rescind-dj""#);
        let found = problems(&doc);
        assert!(
            found
                .iter()
                .any(|p| p == "rescind-di: not a workspace member"),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("rescind-dj:") && p.contains("publish = false")),
            "{found:?}"
        );
        let doc = good().replace(
            r#""name": "xtask", "publish": []"#,
            r#""name": "xtask", "publish": null"#,
        );
        assert!(problems(&doc).iter().any(|p| p.starts_with("xtask:")));
    }

    #[test]
    fn a_dependency_needing_a_newer_rust_is_reported() {
        let graph = |dep_rv: &str, kind: &str| {
            format!(
                r#"{{"packages": [
                    {{"id": "a", "name": "rescind-core", "source": null, "rust_version": "1.89"}},
                    {{"id": "b", "name": "tokio", "source": "registry", "rust_version": "1.70"}},
                    {{"id": "c", "name": "jiff", "source": "registry", "rust_version": "{dep_rv}"}}
                ], "resolve": {{"nodes": [
                    {{"id": "a", "deps": [{{"pkg": "b", "dep_kinds": [{{"kind": null}}]}}]}},
                    {{"id": "b", "deps": [{{"pkg": "c", "dep_kinds": [{{"kind": {kind}}}]}}]}},
                    {{"id": "c", "deps": []}}
                ]}}}}"#
            )
        };
        let check = |doc: String| check_rust_version(&json::parse(&doc).unwrap());
        assert!(check(graph("1.89.0", "null")).is_empty());
        assert!(
            check(graph("1.95", "\"dev\"")).is_empty(),
            "a dev-dependency is not built"
        );
        assert_eq!(
            check(graph("1.95", "\"build\"")),
            vec!["rescind-core: rust-version is 1.89, but jiff needs 1.95.0".to_string()]
        );
    }

    #[test]
    fn package_contents_are_checked() {
        let complete: Vec<String> = [
            "Cargo.toml",
            "README.md",
            "LICENSE-MIT",
            "LICENSE-APACHE",
            "src/lib.rs",
            "seed/demo.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let small = |_: &str| Some(10);
        assert!(check_package_files("rescind-sim", &complete, &small).is_empty());
        for missing in [
            "README.md",
            "LICENSE-MIT",
            "LICENSE-APACHE",
            "src/lib.rs",
            "seed/demo.json",
        ] {
            let files: Vec<String> = complete.iter().filter(|f| *f != missing).cloned().collect();
            let found = check_package_files("rescind-sim", &files, &small);
            assert!(!found.is_empty(), "{missing}: {found:?}");
        }
        let mut with_tests = complete.clone();
        with_tests.push("tests/fixtures/x.json".into());
        assert!(!check_package_files("rescind-sim", &with_tests, &small).is_empty());
        let big = |f: &str| {
            Some(if f == "seed/demo.json" {
                MAX_FILE_BYTES + 1
            } else {
                10
            })
        };
        assert!(!check_package_files("rescind-sim", &complete, &big).is_empty());
    }
}
