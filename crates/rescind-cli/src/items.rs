//! Parses `--item code=..,ean=..,name=..,type=..,quantity=..`.

use rescind::{Error, ItemSelector};

/// One `--item` value as a selector; `index` names it in errors (`--item #2`).
pub fn parse_item(index: usize, text: &str) -> Result<ItemSelector, Error> {
    text.parse::<ItemSelector>().map_err(|err| {
        let field = format!("--item #{}", index + 1);
        let rule = err.rule().unwrap_or_default().to_string();
        Error::invalid_input(field, rule)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let s = parse_item(
            0,
            "code=SKU-1, ean=859, name=Mug, type=PHYSICAL, quantity=2.5",
        )
        .unwrap();
        assert_eq!(s.code.as_deref(), Some("SKU-1"));
        assert_eq!(s.ean.as_deref(), Some("859"));
        assert_eq!(s.name.as_deref(), Some("Mug"));
        assert_eq!(s.item_type.as_deref(), Some("PHYSICAL"));
        assert_eq!(s.quantity, Some("2.5".parse().unwrap()));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (bad, needle) in [
            ("quantity=2", "at least one of"),
            ("code", "key=value"),
            ("colour=red", "`colour` is not one of"),
            ("code=A,quantity=two", "not a decimal"),
        ] {
            let err = parse_item(1, bad).unwrap_err();
            assert!(err.to_string().contains(needle), "{bad}: {err}");
            assert_eq!(err.field(), Some("--item #2"));
        }
    }
}
