//! The README's Rust code is the examples' code: every ```rust block in README.md must be the
//! README part (between `// README: begin` and `// README: end`) of one file in `examples/`,
//! which `cargo test` compiles and runs against the simulator. So the README's code compiles,
//! and runs, as it is shown.

use std::path::Path;

fn readme_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```rust") => current = Some(Vec::new()),
            None => {}
            Some(lines) if line.trim_start().starts_with("```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
        }
    }
    assert!(current.is_none(), "README.md has an unclosed ```rust block");
    blocks
}

fn example_parts(dir: &Path) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text
            .find("// README: begin\n")
            .map(|i| i + "// README: begin\n".len());
        let end = text.find("// README: end");
        if let (Some(start), Some(end)) = (start, end) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            parts.push((name, text[start..end].trim_end().to_string()));
        }
    }
    parts
}

#[test]
fn every_rust_block_in_the_readme_is_an_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let blocks = readme_blocks(&readme);
    let parts = example_parts(&root.join("examples"));
    assert!(parts.len() >= 4, "examples with a README part: {parts:?}");
    assert!(!blocks.is_empty(), "README.md shows no Rust code");
    for block in &blocks {
        assert!(
            parts.iter().any(|(_, part)| part == block.trim_end()),
            "this README block is not the README part of any file in crates/rescind/examples/ \
             (copy it from there, or change the example and copy it back):\n{block}"
        );
    }
    // And every example is shown.
    for (name, part) in &parts {
        assert!(
            blocks.iter().any(|b| b.trim_end() == part),
            "examples/{name} is not shown in README.md"
        );
    }
}

#[test]
fn blocks_are_found_whole() {
    let text = "a\n```rust\nfn x() {}\n\nlet y = 1;\n```\n```sh\nls\n```\n";
    assert_eq!(
        readme_blocks(text),
        vec!["fn x() {}\n\nlet y = 1;".to_string()]
    );
}
