//! break6: `rescind::bulk::write_rows_json` (d61bd8b), called directly: the text
//! `to_string_pretty` gives the vector of rows and a line break, for 0, 1 and several rows
//! whose texts need escaping, and the first error of the rows returned as it came.

use rescind::Registry;
use rescind::bulk::{Input, Journal, RowResult, Runner, write_rows_json};

/// The rows of a run of `n` invalid rows whose targets need escaping.
async fn rows(dir: &std::path::Path, n: usize) -> Vec<RowResult> {
    if n == 0 {
        // An input needs a row.
        return Vec::new();
    }
    let targets = [
        "\"a \"\"quoted\"\" \\ target\"",
        "\"two\nlines\r\nand a CR\"",
        "sep\u{2028}ar Kurýr 🚚 \u{7f}",
        "\"{\"\"json\"\": [1, 2]}\"",
    ];
    let mut text = String::from("account,target,action,items,until\n");
    for i in 0..n {
        text.push_str(&format!("arta,{},explode,,\n", targets[i % targets.len()]));
    }
    let path = dir.join(format!("rows-{n}.csv"));
    std::fs::write(&path, text).unwrap();
    let input = Input::stream(&path).unwrap();
    let journal = Journal::open(&dir.join(format!("j-{n}")), &input).unwrap();
    let report = Runner::new(Registry::new())
        .run(input, journal, |_| {})
        .await
        .unwrap();
    report.rows_in_full().map(Result::unwrap).collect()
}

#[tokio::test]
async fn the_text_is_to_string_pretty_of_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    for n in [0, 1, 2, 5] {
        let rows = rows(dir.path(), n).await;
        assert_eq!(rows.len(), n);
        let path = dir.path().join(format!("out-{n}.json"));
        write_rows_json(&path, rows.iter().cloned().map(Ok)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            serde_json::to_string_pretty(&rows).unwrap() + "\n",
            "{n} rows"
        );
    }
}

#[tokio::test]
async fn the_first_error_of_the_rows_stops_the_writing_and_is_returned() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows(dir.path(), 2).await;
    // A real `BulkError`: an input that is not there.
    let missing = Input::stream(&dir.path().join("missing.csv")).unwrap_err();
    let message = missing.to_string();
    let path = dir.path().join("out.json");
    let err = write_rows_json(
        &path,
        vec![Ok(rows[0].clone()), Err(missing), Ok(rows[1].clone())],
    )
    .unwrap_err();
    assert_eq!(err.to_string(), message);
    // The rows before it are there in full; no closing bracket pretends the list is whole.
    let text = std::fs::read_to_string(&path).unwrap();
    let one = serde_json::to_string_pretty(&rows[..1]).unwrap();
    assert_eq!(text, one.strip_suffix("\n]").unwrap());
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());

    // A path that cannot be written: a report error naming it.
    let bad = dir.path().join("no-such-dir").join("out.json");
    let err = write_rows_json(&bad, rows.iter().cloned().map(Ok)).unwrap_err();
    assert!(err.to_string().contains(bad.to_str().unwrap()), "{err}");
}
