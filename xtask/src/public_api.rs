//! `cargo xtask public-api [--accept]`: the public API of every published library crate, as
//! one sorted line per item, compared with the snapshot committed in `xtask/public-api/`, and
//! the dependency policy: which third-party crates' types may appear in it (see [`POLICY`]).
//!
//! The API is read from rustdoc's JSON output on the stable toolchain
//! (`RUSTC_BOOTSTRAP=1 cargo rustdoc -- -Z unstable-options --output-format json`), with every
//! feature on, by the workspace's own JSON reader ([`crate::json`]): no nightly, no extra
//! dependency. The reader knows rustdoc's format version [`FORMAT_VERSION`] and refuses
//! another, so that a new toolchain is a clear error, not a silently wrong snapshot.
//!
//! A change to the public API is a diff in a committed file: `--accept` writes the new
//! snapshot after you have read the diff; without it, a difference fails (what `ci` runs).

use std::collections::{BTreeMap, BTreeSet};

use crate::json::{self, Json};
use crate::{cargo, root, run};

/// The rustdoc JSON format this reader understands (rustc 1.95).
pub const FORMAT_VERSION: &str = "57";

/// The published library crates whose public API is snapshotted.
pub const CRATES: &[&str] = &[
    "rescind-core",
    "rescind-arta",
    "rescind-di",
    "rescind-skippay",
    "rescind",
    "rescind-sim",
];

/// The public dependency policy: the only third-party crates whose types may appear in the
/// public API of a published crate, each with where it is re-exported (so that users name the
/// exact version rescind uses) and why it is in the semver contract. An upgrade of one of
/// these crates to a new semver-incompatible version is a breaking change of rescind.
///
/// Every other third-party crate (reqwest, hyper, axum, tower, url, ...) must not appear,
/// except at the items of [`FEATURE_GATED`].
pub const POLICY: &[(&str, &str)] = &[
    ("std", "the standard library"),
    ("core", "the standard library"),
    ("alloc", "the standard library"),
    (
        "http",
        "http 1 (stable): HeaderName/HeaderValue/HeaderMap/Method/StatusCode, re-exported at rescind_core::http",
    ),
    (
        "bytes",
        "bytes 1 (stable): the body of HttpRequest/HttpResponse, re-exported at rescind_core::bytes",
    ),
    (
        "tokio",
        "tokio 1 (stable): tokio::time::Instant of deadlines, re-exported at rescind_core::tokio",
    ),
    (
        "serde",
        "serde 1 (stable): Serialize/Deserialize impls of the public types",
    ),
    (
        "serde_core",
        "serde 1 (stable): where serde's traits are defined",
    ),
    (
        "serde_json",
        "serde_json 1 (stable): raw provider payloads, re-exported at rescind_core::serde_json",
    ),
    (
        "jiff",
        "jiff 1: dates and timestamps, re-exported at rescind_core::jiff",
    ),
    (
        "rust_decimal",
        "rust_decimal 1: quantities and amounts, re-exported at rescind_core::rust_decimal",
    ),
    (
        "secrecy",
        "secrecy 0.10: secret strings (credentials, tokens), re-exported at rescind_core::secrecy; its next 0.x is a major release of rescind-core",
    ),
    (
        "async_trait",
        "async-trait 0.1: the attribute implementers of Canceller/Login use, re-exported at rescind_core::async_trait",
    ),
    (
        "tracing_core",
        "tracing 0.1: the rescind_core::testing helpers (feature test-util) return tracing types",
    ),
    (
        "tracing",
        "tracing 0.1: the rescind_core::testing helpers (feature test-util)",
    ),
    (
        "tracing_subscriber",
        "tracing-subscriber 0.3: the rescind_core::testing helpers (feature test-util)",
    ),
];

/// Items allowed to name a crate outside [`POLICY`], because a cargo feature named after that
/// crate's version gates them (outside the semver contract): `(crate, item path prefix)`.
pub const FEATURE_GATED: &[(&str, &str)] = &[
    // Feature `reqwest-0-12`: a caller's own reqwest client.
    ("reqwest", "rescind_core::HttpClient::from_reqwest"),
    ("reqwest", "rescind_core::HttpClient::as_reqwest"),
    (
        "reqwest",
        "impl core::convert::From<reqwest::async_impl::client::Client> for HttpClient",
    ),
];

/// Crates allowed in the public API of one published crate only: `(our crate, third-party
/// crate, why)`.
pub const CRATE_SPECIFIC: &[(&str, &str, &str)] = &[(
    "rescind_sim",
    "axum",
    "axum 0.8: `rescind_sim::server::serve` takes the simulator's router, to embed it in a test server; the simulator is a test tool and follows axum's 0.x releases",
)];

/// Runs the check (or writes the snapshots with `accept`).
pub fn public_api(accept: bool) -> Result<(), String> {
    let root = root();
    let dir = root.join("xtask").join("public-api");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut diffs = Vec::new();
    let mut violations = Vec::new();
    for krate in CRATES {
        run(
            &format!("rustdoc JSON of {krate}"),
            cargo()
                .args([
                    "rustdoc",
                    "--locked",
                    "--lib",
                    "--all-features",
                    "-p",
                    krate,
                    "--",
                    "-Z",
                    "unstable-options",
                    "--output-format",
                    "json",
                ])
                .env("RUSTC_BOOTSTRAP", "1"),
        )?;
        let file = root
            .join("target")
            .join("doc")
            .join(format!("{}.json", krate.replace('-', "_")));
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("reading {}: {e}", file.display()))?;
        let doc = json::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let api = Api::read(&doc)?;
        let rendered = api.render();
        violations.extend(api.policy_violations());
        let snapshot = dir.join(format!("{krate}.txt"));
        let old = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if old != rendered {
            if accept {
                std::fs::write(&snapshot, &rendered)
                    .map_err(|e| format!("writing {}: {e}", snapshot.display()))?;
                eprintln!("wrote {}", snapshot.display());
            } else {
                diffs.push(format!("{krate}:\n{}", diff(&old, &rendered)));
            }
        }
    }
    if !violations.is_empty() {
        return Err(format!(
            "third-party types outside the public dependency policy (xtask/src/public_api.rs, POLICY):\n{}",
            violations.join("\n")
        ));
    }
    if !diffs.is_empty() {
        return Err(format!(
            "the public API changed; read the diff, then run `cargo xtask public-api --accept` and commit xtask/public-api/:\n{}",
            diffs.join("\n")
        ));
    }
    Ok(())
}

/// The lines only in `old` (`-`) and only in `new` (`+`): the snapshots are sorted sets.
fn diff(old: &str, new: &str) -> String {
    let a: BTreeSet<&str> = old.lines().collect();
    let b: BTreeSet<&str> = new.lines().collect();
    let mut out = String::new();
    for line in a.difference(&b) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in b.difference(&a) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

/// One crate's public API, read from its rustdoc JSON.
struct Api<'a> {
    index: &'a BTreeMap<String, Json>,
    paths: &'a BTreeMap<String, Json>,
    crates: &'a BTreeMap<String, Json>,
    lines: BTreeSet<String>,
    /// `(item, third-party crate)` for every type an item names.
    uses: BTreeSet<(String, String)>,
}

fn object(v: &Json) -> Option<&BTreeMap<String, Json>> {
    match v {
        Json::Object(map) => Some(map),
        _ => None,
    }
}

fn id(v: &Json) -> Option<String> {
    match v {
        Json::Number(n) => Some(n.clone()),
        _ => None,
    }
}

/// The one key of a rustdoc enum object (`{"function": {...}}`) and its value.
fn variant(v: &Json) -> Option<(&str, &Json)> {
    match v {
        Json::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        Json::Str(s) => Some((s.as_str(), &Json::Null)),
        _ => None,
    }
}

impl<'a> Api<'a> {
    fn read(doc: &'a Json) -> Result<Api<'a>, String> {
        let version = match doc.get("format_version") {
            Json::Number(n) => n.clone(),
            _ => String::new(),
        };
        if version != FORMAT_VERSION {
            return Err(format!(
                "rustdoc JSON format {version}, this reader knows {FORMAT_VERSION}: update xtask/src/public_api.rs for the new toolchain"
            ));
        }
        let none = "rustdoc JSON without index/paths/external_crates";
        let mut api = Api {
            index: object(doc.get("index")).ok_or(none)?,
            paths: object(doc.get("paths")).ok_or(none)?,
            crates: object(doc.get("external_crates")).ok_or(none)?,
            lines: BTreeSet::new(),
            uses: BTreeSet::new(),
        };
        let root = id(doc.get("root")).ok_or("rustdoc JSON without a root")?;
        let name = api.index[&root]
            .get("name")
            .as_str()
            .unwrap_or("")
            .to_string();
        let mut seen = BTreeSet::new();
        api.module(&root, &name, &mut seen);
        Ok(api)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn policy_violations(&self) -> Vec<String> {
        let allowed: BTreeSet<&str> = POLICY.iter().map(|(c, _)| *c).collect();
        self.uses
            .iter()
            .filter(|(item, krate)| {
                !allowed.contains(krate.as_str())
                    && !CRATE_SPECIFIC
                        .iter()
                        .any(|(ours, c, _)| c == krate && item.split("::").next() == Some(*ours))
                    && !FEATURE_GATED
                        .iter()
                        .any(|(c, prefix)| c == krate && item.starts_with(prefix))
            })
            .map(|(item, krate)| format!("  {item}: names a type of `{krate}`"))
            .collect()
    }

    fn emit(&mut self, line: String) {
        self.lines.insert(line);
    }

    fn module(&mut self, module: &str, path: &str, seen: &mut BTreeSet<String>) {
        if !seen.insert(format!("{module}@{path}")) {
            return;
        }
        let items: Vec<String> = self.index[module]
            .get("inner")
            .get("module")
            .get("items")
            .items()
            .iter()
            .filter_map(id)
            .collect();
        for item in items {
            self.item(&item, path, None, seen);
        }
    }

    /// An item of a module at `parent`, under `rename` when re-exported with another name.
    fn item(
        &mut self,
        item: &str,
        parent: &str,
        rename: Option<&str>,
        seen: &mut BTreeSet<String>,
    ) {
        let Some(entry) = self.index.get(item) else {
            return;
        };
        if entry.get("visibility").as_str() != Some("public") {
            return;
        }
        if entry.get("attrs").items().iter().any(|a| {
            a.as_str().is_some_and(|s| s.contains("doc(hidden)"))
                || a.get("other")
                    .as_str()
                    .is_some_and(|s| s.contains("doc(hidden)"))
        }) {
            return;
        }
        let name = rename
            .map(str::to_string)
            .or_else(|| entry.get("name").as_str().map(str::to_string))
            .unwrap_or_default();
        let path = format!("{parent}::{name}");
        let Some((kind, inner)) = variant(entry.get("inner")) else {
            return;
        };
        match kind {
            "module" => {
                self.emit(format!("pub mod {path}"));
                self.module(item, &path, seen);
            }
            "use" => self.reexport(inner, parent, &path, seen),
            "function" => {
                let sig = self.function(&name, inner, &path);
                self.emit(format!("pub {sig} // {path}"));
            }
            "constant" => {
                let ty = self.ty(inner.get("type"), &path);
                self.emit(format!("pub const {path}: {ty}"));
            }
            "static" => {
                let ty = self.ty(inner.get("type"), &path);
                self.emit(format!("pub static {path}: {ty}"));
            }
            "type_alias" => {
                let ty = self.ty(inner.get("type"), &path);
                let generics = self.generics(inner.get("generics"), &path);
                self.emit(format!("pub type {path}{generics} = {ty}"));
            }
            "macro" | "proc_macro" => self.emit(format!("pub macro {path}!")),
            "struct" => self.structure(item, inner, &path),
            "enum" => self.enumeration(inner, &path),
            "trait" => self.trait_(inner, &path),
            "union" => self.emit(format!("pub union {path}")),
            _ => self.emit(format!("pub {kind} {path}")),
        }
    }

    fn reexport(&mut self, inner: &Json, parent: &str, path: &str, seen: &mut BTreeSet<String>) {
        let source = inner.get("source").as_str().unwrap_or("");
        let glob = matches!(inner.get("is_glob"), Json::Bool(true));
        let target = id(inner.get("id"));
        let local = target
            .as_ref()
            .and_then(|t| self.index.get(t))
            .is_some_and(|e| matches!(e.get("crate_id"), Json::Number(n) if n == "0"));
        match (target, local, glob) {
            (Some(target), true, false) => {
                let name = inner.get("name").as_str().map(str::to_string);
                self.item(&target, parent, name.as_deref(), seen);
            }
            (Some(target), true, true) => {
                if self.index[&target].get("inner").get("module") != &Json::Null {
                    self.module(&target, parent, seen);
                }
            }
            (target, _, glob) => {
                if let Some(krate) = target.as_ref().and_then(|t| self.crate_of(t)) {
                    self.uses.insert((path.to_string(), krate));
                }
                let star = if glob { "::*" } else { "" };
                self.emit(format!("pub use {path} = {source}{star}"));
            }
        }
    }

    fn structure(&mut self, item: &str, inner: &Json, path: &str) {
        let generics = self.generics(inner.get("generics"), path);
        let kind = inner.get("kind");
        let shape = match variant(kind) {
            Some(("unit", _)) => ";".to_string(),
            Some(("tuple", fields)) => {
                let fields: Vec<String> = fields
                    .items()
                    .iter()
                    .map(|f| match id(f) {
                        Some(f) => self.field_type(&f, path).unwrap_or_else(|| "_".into()),
                        None => "_".into(),
                    })
                    .collect();
                format!("({})", fields.join(", "))
            }
            Some(("plain", plain)) => {
                let fields: Vec<String> =
                    plain.get("fields").items().iter().filter_map(id).collect();
                for f in &fields {
                    let name = self.index[f].get("name").as_str().unwrap_or("").to_string();
                    if let Some(ty) = self.field_type(f, path) {
                        self.emit(format!("pub field {path}::{name}: {ty}"));
                    }
                }
                if matches!(plain.get("has_stripped_fields"), Json::Bool(true)) {
                    " { .. }".to_string()
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        let non_exhaustive = self.non_exhaustive(item);
        self.emit(format!(
            "pub struct {path}{generics}{shape}{non_exhaustive}"
        ));
        self.impls(inner.get("impls"), path);
    }

    fn non_exhaustive(&self, item: &str) -> &'static str {
        let attrs = self.index[item].get("attrs").items();
        if attrs.iter().any(|a| {
            a.as_str().is_some_and(|s| s.contains("non_exhaustive"))
                || matches!(variant(a), Some(("non_exhaustive", _)))
        }) {
            " #[non_exhaustive]"
        } else {
            ""
        }
    }

    fn field_type(&mut self, field: &str, owner: &str) -> Option<String> {
        let entry = self.index.get(field)?;
        if entry.get("visibility").as_str() != Some("public")
            && entry.get("visibility").as_str() != Some("default")
        {
            return None;
        }
        let ty = entry.get("inner").get("struct_field");
        Some(self.ty(ty, owner))
    }

    fn enumeration(&mut self, inner: &Json, path: &str) {
        let generics = self.generics(inner.get("generics"), path);
        self.emit(format!("pub enum {path}{generics}"));
        let variants: Vec<String> = inner
            .get("variants")
            .items()
            .iter()
            .filter_map(id)
            .collect();
        for v in variants {
            let entry = &self.index[&v];
            let name = entry.get("name").as_str().unwrap_or("").to_string();
            let non_exhaustive = self.non_exhaustive(&v);
            let kind = entry.get("inner").get("variant").get("kind");
            let shape = match variant(kind) {
                Some(("tuple", fields)) => {
                    let fields: Vec<String> = fields
                        .items()
                        .iter()
                        .map(|f| match id(f) {
                            Some(f) => self.field_type(&f, path).unwrap_or_else(|| "_".into()),
                            None => "_".into(),
                        })
                        .collect();
                    format!("({})", fields.join(", "))
                }
                Some(("struct", s)) => {
                    let fields: Vec<String> = s
                        .get("fields")
                        .items()
                        .iter()
                        .filter_map(id)
                        .map(|f| {
                            let n = self.index[&f]
                                .get("name")
                                .as_str()
                                .unwrap_or("")
                                .to_string();
                            let t = self.field_type(&f, path).unwrap_or_else(|| "_".into());
                            format!("{n}: {t}")
                        })
                        .collect();
                    format!(" {{ {} }}", fields.join(", "))
                }
                _ => String::new(),
            };
            self.emit(format!("pub variant {path}::{name}{shape}{non_exhaustive}"));
        }
        self.impls(inner.get("impls"), path);
    }

    fn trait_(&mut self, inner: &Json, path: &str) {
        let generics = self.generics(inner.get("generics"), path);
        let bounds = self.bounds(inner.get("bounds"), path);
        let bounds = if bounds.is_empty() {
            String::new()
        } else {
            format!(": {bounds}")
        };
        self.emit(format!("pub trait {path}{generics}{bounds}"));
        let items: Vec<String> = inner.get("items").items().iter().filter_map(id).collect();
        for i in items {
            let entry = &self.index[&i];
            let name = entry.get("name").as_str().unwrap_or("").to_string();
            let item_path = format!("{path}::{name}");
            if let Some(("function", f)) = variant(entry.get("inner")) {
                let sig = self.function(&name, f, &item_path);
                self.emit(format!("pub trait-fn {sig} // {item_path}"));
            } else {
                self.emit(format!("pub trait-item {item_path}"));
            }
        }
    }

    fn impls(&mut self, impls: &Json, owner: &str) {
        let ids: Vec<String> = impls.items().iter().filter_map(id).collect();
        for i in ids {
            let Some(entry) = self.index.get(&i) else {
                continue;
            };
            let imp = entry.get("inner").get("impl");
            if matches!(imp.get("is_synthetic"), Json::Bool(true))
                || imp.get("blanket_impl") != &Json::Null
            {
                continue;
            }
            let trait_ = imp.get("trait");
            if trait_ != &Json::Null {
                // Types in a trait impl's header are attributed to the impl itself.
                const PENDING: &str = "<impl header>";
                let for_ = self.ty(imp.get("for"), PENDING);
                let generics = self.generics(imp.get("generics"), PENDING);
                let header = format!("impl{generics} {} for {for_}", self.path(trait_, PENDING));
                let pending: Vec<(String, String)> = self
                    .uses
                    .iter()
                    .filter(|(o, _)| o == PENDING)
                    .cloned()
                    .collect();
                for (o, krate) in pending {
                    self.uses.remove(&(o, krate.clone()));
                    self.uses.insert((header.clone(), krate));
                }
                self.emit(header);
                continue;
            }
            let items: Vec<String> = imp.get("items").items().iter().filter_map(id).collect();
            for it in items {
                let e = &self.index[&it];
                if e.get("visibility").as_str() != Some("public") {
                    continue;
                }
                let name = e.get("name").as_str().unwrap_or("").to_string();
                let item_path = format!("{owner}::{name}");
                match variant(e.get("inner")) {
                    Some(("function", f)) => {
                        let sig = self.function(&name, f, &item_path);
                        self.emit(format!("pub {sig} // {item_path}"));
                    }
                    Some(("assoc_const", c)) => {
                        let ty = self.ty(c.get("type"), &item_path);
                        self.emit(format!("pub const {item_path}: {ty}"));
                    }
                    _ => self.emit(format!("pub item {item_path}")),
                }
            }
        }
    }

    fn function(&mut self, name: &str, f: &Json, owner: &str) -> String {
        let header = f.get("header");
        let mut prefix = String::new();
        if matches!(header.get("is_const"), Json::Bool(true)) {
            prefix.push_str("const ");
        }
        if matches!(header.get("is_async"), Json::Bool(true)) {
            prefix.push_str("async ");
        }
        if matches!(header.get("is_unsafe"), Json::Bool(true)) {
            prefix.push_str("unsafe ");
        }
        let generics = self.generics(f.get("generics"), owner);
        let sig = f.get("sig");
        let inputs: Vec<String> = sig
            .get("inputs")
            .items()
            .iter()
            .map(|pair| {
                let p = pair.items();
                let n = p.first().and_then(Json::as_str).unwrap_or("_").to_string();
                let t = p.get(1).map(|t| self.ty(t, owner)).unwrap_or_default();
                if n == "self" {
                    match t.as_str() {
                        "Self" => "self".to_string(),
                        "&Self" => "&self".to_string(),
                        "&mut Self" => "&mut self".to_string(),
                        _ => format!("self: {t}"),
                    }
                } else {
                    format!("{n}: {t}")
                }
            })
            .collect();
        let output = match sig.get("output") {
            Json::Null => String::new(),
            t => format!(" -> {}", self.ty(t, owner)),
        };
        let wheres = self.where_clause(f.get("generics"), owner);
        format!(
            "{prefix}fn {name}{generics}({}){output}{wheres}",
            inputs.join(", ")
        )
    }

    fn generics(&mut self, g: &Json, owner: &str) -> String {
        let params: Vec<String> = g
            .get("params")
            .items()
            .iter()
            .filter_map(|p| {
                let name = p.get("name").as_str().unwrap_or("").to_string();
                match variant(p.get("kind")) {
                    Some(("lifetime", _)) => Some(name),
                    Some(("type", t)) => {
                        if matches!(t.get("is_synthetic"), Json::Bool(true)) {
                            return None;
                        }
                        let bounds = self.bounds(t.get("bounds"), owner);
                        Some(if bounds.is_empty() {
                            name
                        } else {
                            format!("{name}: {bounds}")
                        })
                    }
                    Some(("const", c)) => {
                        Some(format!("const {name}: {}", self.ty(c.get("type"), owner)))
                    }
                    _ => None,
                }
            })
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    fn where_clause(&mut self, g: &Json, owner: &str) -> String {
        let preds: Vec<String> = g
            .get("where_predicates")
            .items()
            .iter()
            .filter_map(|p| match variant(p) {
                Some(("bound_predicate", b)) => Some(format!(
                    "{}: {}",
                    self.ty(b.get("type"), owner),
                    self.bounds(b.get("bounds"), owner)
                )),
                _ => None,
            })
            .collect();
        if preds.is_empty() {
            String::new()
        } else {
            format!(" where {}", preds.join(", "))
        }
    }

    fn bounds(&mut self, bounds: &Json, owner: &str) -> String {
        let parts: Vec<String> = bounds
            .items()
            .iter()
            .filter_map(|b| match variant(b) {
                Some(("trait_bound", t)) => {
                    let modifier = if t.get("modifier").as_str() == Some("maybe") {
                        "?"
                    } else {
                        ""
                    };
                    Some(format!("{modifier}{}", self.path(t.get("trait"), owner)))
                }
                Some(("outlives", l)) => l.as_str().map(str::to_string),
                _ => None,
            })
            .collect();
        parts.join(" + ")
    }

    /// The crate that defines the item `id`, when it is a third-party one.
    fn crate_of(&self, id: &str) -> Option<String> {
        let entry = self.paths.get(id)?;
        let krate = match entry.get("crate_id") {
            Json::Number(n) => n.clone(),
            _ => return None,
        };
        if krate == "0" {
            return None;
        }
        let name = self.crates.get(&krate)?.get("name").as_str()?.to_string();
        (!name.starts_with("rescind")).then_some(name)
    }

    /// A path (`{"path", "id", "args"}`), recording a third-party crate it names for `owner`.
    fn path(&mut self, p: &Json, owner: &str) -> String {
        let target = id(p.get("id"));
        let written = p.get("path").as_str().unwrap_or("").to_string();
        let name = match target
            .as_ref()
            .and_then(|t| self.paths.get(t).map(|e| (t, e)))
        {
            Some((t, e)) => {
                let segments: Vec<&str> = e
                    .get("path")
                    .items()
                    .iter()
                    .filter_map(Json::as_str)
                    .collect();
                match self.crate_of(t) {
                    Some(krate) => {
                        self.uses.insert((owner.to_string(), krate));
                        segments.join("::")
                    }
                    None => segments.last().map_or(written.clone(), |s| s.to_string()),
                }
            }
            None => written,
        };
        format!("{name}{}", self.args(p.get("args"), owner))
    }

    fn args(&mut self, args: &Json, owner: &str) -> String {
        match variant(args) {
            Some(("angle_bracketed", a)) => {
                let mut parts: Vec<String> = a
                    .get("args")
                    .items()
                    .iter()
                    .filter_map(|x| match variant(x) {
                        Some(("type", t)) => Some(self.ty(t, owner)),
                        Some(("lifetime", l)) => l.as_str().map(str::to_string),
                        Some(("const", c)) => {
                            Some(c.get("expr").as_str().unwrap_or("_").to_string())
                        }
                        _ => None,
                    })
                    .collect();
                for c in a.get("constraints").items() {
                    let n = c.get("name").as_str().unwrap_or("").to_string();
                    match variant(c.get("binding")) {
                        Some(("equality", e)) => {
                            let t = match variant(e) {
                                Some(("type", t)) => self.ty(t, owner),
                                _ => "_".into(),
                            };
                            parts.push(format!("{n} = {t}"));
                        }
                        Some(("constraint", b)) => {
                            parts.push(format!("{n}: {}", self.bounds(b, owner)))
                        }
                        _ => {}
                    }
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            Some(("parenthesized", p)) => {
                let inputs: Vec<String> = p
                    .get("inputs")
                    .items()
                    .iter()
                    .map(|t| self.ty(t, owner))
                    .collect();
                let output = match p.get("output") {
                    Json::Null => String::new(),
                    t => format!(" -> {}", self.ty(t, owner)),
                };
                format!("({}){output}", inputs.join(", "))
            }
            _ => String::new(),
        }
    }

    fn ty(&mut self, t: &Json, owner: &str) -> String {
        let Some((kind, v)) = variant(t) else {
            return "_".into();
        };
        match kind {
            "resolved_path" => self.path(v, owner),
            "generic" | "primitive" => v.as_str().unwrap_or("_").to_string(),
            "tuple" => {
                let parts: Vec<String> = v.items().iter().map(|x| self.ty(x, owner)).collect();
                format!("({})", parts.join(", "))
            }
            "slice" => format!("[{}]", self.ty(v, owner)),
            "array" => format!(
                "[{}; {}]",
                self.ty(v.get("type"), owner),
                v.get("len").as_str().unwrap_or("_")
            ),
            "borrowed_ref" => {
                let lifetime = v
                    .get("lifetime")
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let m = if matches!(v.get("is_mutable"), Json::Bool(true)) {
                    "mut "
                } else {
                    ""
                };
                format!("&{lifetime}{m}{}", self.ty(v.get("type"), owner))
            }
            "raw_pointer" => {
                let m = if matches!(v.get("is_mutable"), Json::Bool(true)) {
                    "mut"
                } else {
                    "const"
                };
                format!("*{m} {}", self.ty(v.get("type"), owner))
            }
            "impl_trait" => format!("impl {}", self.bounds(v, owner)),
            "dyn_trait" => {
                let mut parts: Vec<String> = v
                    .get("traits")
                    .items()
                    .iter()
                    .map(|p| self.path(p.get("trait"), owner))
                    .collect();
                if let Some(l) = v.get("lifetime").as_str() {
                    parts.push(l.to_string());
                }
                format!("dyn {}", parts.join(" + "))
            }
            "qualified_path" => {
                let name = v.get("name").as_str().unwrap_or("_").to_string();
                let self_ty = self.ty(v.get("self_type"), owner);
                match v.get("trait") {
                    Json::Null => format!("{self_ty}::{name}"),
                    tr => format!("<{self_ty} as {}>::{name}", self.path(tr, owner)),
                }
            }
            "function_pointer" => {
                let sig = v.get("sig");
                let inputs: Vec<String> = sig
                    .get("inputs")
                    .items()
                    .iter()
                    .map(|p| {
                        p.items()
                            .get(1)
                            .map(|t| self.ty(t, owner))
                            .unwrap_or_default()
                    })
                    .collect();
                let output = match sig.get("output") {
                    Json::Null => String::new(),
                    t => format!(" -> {}", self.ty(t, owner)),
                };
                format!("fn({}){output}", inputs.join(", "))
            }
            "infer" => "_".into(),
            other => format!("<{other}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal rustdoc JSON document: a crate with one public function that names a
    /// `reqwest` type and one that names a `http` type.
    fn doc(version: &str) -> String {
        format!(
            r#"{{
  "root": 0, "format_version": {version},
  "index": {{
    "0": {{"id": 0, "crate_id": 0, "name": "demo", "visibility": "public", "attrs": [],
           "inner": {{"module": {{"is_crate": true, "items": [1, 2, 3], "is_stripped": false}}}}}},
    "1": {{"id": 1, "crate_id": 0, "name": "leaky", "visibility": "public", "attrs": [],
           "inner": {{"function": {{"sig": {{"inputs": [["c", {{"resolved_path": {{"path": "reqwest::Client", "id": 10, "args": null}}}}]], "output": null}},
                                 "generics": {{"params": [], "where_predicates": []}},
                                 "header": {{"is_const": false, "is_unsafe": false, "is_async": true}}}}}}}},
    "2": {{"id": 2, "crate_id": 0, "name": "fine", "visibility": "public", "attrs": [],
           "inner": {{"function": {{"sig": {{"inputs": [], "output": {{"resolved_path": {{"path": "http::HeaderMap", "id": 11, "args": null}}}}}},
                                 "generics": {{"params": [], "where_predicates": []}},
                                 "header": {{"is_const": false, "is_unsafe": false, "is_async": false}}}}}}}},
    "3": {{"id": 3, "crate_id": 0, "name": "hidden", "visibility": "crate", "attrs": [],
           "inner": {{"function": {{"sig": {{"inputs": [], "output": null}},
                                 "generics": {{"params": [], "where_predicates": []}},
                                 "header": {{"is_const": false, "is_unsafe": false, "is_async": false}}}}}}}}
  }},
  "paths": {{
    "10": {{"crate_id": 5, "path": ["reqwest", "Client"], "kind": "struct"}},
    "11": {{"crate_id": 6, "path": ["http", "header", "map", "HeaderMap"], "kind": "struct"}}
  }},
  "external_crates": {{"5": {{"name": "reqwest"}}, "6": {{"name": "http"}}}}
}}"#
        )
    }

    #[test]
    fn renders_public_items_and_flags_types_outside_the_policy() {
        let text = doc(FORMAT_VERSION);
        let json = json::parse(&text).unwrap();
        let api = Api::read(&json).unwrap();
        assert_eq!(
            api.render(),
            "pub async fn leaky(c: reqwest::Client) // demo::leaky\n\
             pub fn fine() -> http::header::map::HeaderMap // demo::fine\n"
        );
        assert_eq!(
            api.policy_violations(),
            vec!["  demo::leaky: names a type of `reqwest`".to_string()]
        );
    }

    #[test]
    fn another_format_version_is_refused() {
        let text = doc("9999");
        let json = json::parse(&text).unwrap();
        let err = Api::read(&json).err().unwrap();
        assert!(err.contains("format 9999"), "{err}");
    }

    #[test]
    fn the_diff_names_removed_and_added_lines() {
        assert_eq!(diff("a\nb\n", "b\nc\n"), "- a\n+ c\n");
    }
}
