//! Parses `--item code=..,ean=..,name=..,type=..,quantity=..`.

use rescind::core::rust_decimal::Decimal;
use rescind::{Error, ItemSelector};

/// One `--item` value as a selector; `index` names it in errors (`--item #2`).
pub fn parse_item(index: usize, text: &str) -> Result<ItemSelector, Error> {
    let field = format!("--item #{}", index + 1);
    let mut selector = ItemSelector::default();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| Error::invalid_input(&field, format!("`{part}` must be key=value")))?;
        let value = value.trim().to_string();
        match key.trim() {
            "code" => selector.code = Some(value),
            "ean" => selector.ean = Some(value),
            "name" => selector.name = Some(value),
            "type" => selector.item_type = Some(value),
            "quantity" => {
                let q: Decimal = value.parse().map_err(|_| {
                    Error::invalid_input(
                        &field,
                        format!("quantity `{value}` is not a decimal number"),
                    )
                })?;
                selector.quantity = Some(q);
            }
            other => {
                return Err(Error::invalid_input(
                    &field,
                    format!("`{other}` is not one of code, ean, name, type, quantity"),
                ));
            }
        }
    }
    if selector.is_empty() {
        return Err(Error::invalid_input(
            &field,
            "needs at least one of code, ean, name, type",
        ));
    }
    Ok(selector)
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
