//! The provider commands: each cancel goes through the `Canceller` trait (so its outcome reads
//! the same at every provider); each `show` prints the provider's own model.

use rescind::core::{CancelOptions, Policy};
use rescind::{CancelRequest, Canceller, Error, Provider};

use crate::cli::{ArtaCommand, CallConfig, DiCommand, Output, SkipPayCommand};
use crate::output::{self, Row};
use crate::{config, items};

/// The capability tokens of an Arta hosted session: `private_token`, and the booking `url`
/// that embeds it (`https://book.arta.io/b/42/<private_token>`; Arta reference, HostedSession
/// object fields). Anyone holding them can act on the customer's booking.
const ARTA_SESSION_PRIVATE: &[&[&str]] = &[&["private_token"], &["url"]];

/// The capability URLs of a Skip Pay application: the payment gateway's redirect, and the
/// order's document files (links that work for an hour without credentials; Skip Pay OpenAPI,
/// `FileRef`).
const SKIPPAY_APPLICATION_PRIVATE: &[&[&str]] = &[
    &["gatewayRedirectUrl"],
    &["order", "documents", "*", "file", "url"],
];

/// Runs a cancel through `canceller`, prints its row, returns the exit code.
async fn cancel(
    canceller: &dyn Canceller,
    request: CancelRequest,
    policy: Policy,
    out: Output,
) -> u8 {
    let target = request.target.clone();
    let result = canceller
        .cancel_with(request, CancelOptions::new().policy(policy))
        .await;
    match &result {
        Ok(_) => {
            let row = Row::from_result(canceller.provider(), &target, &result);
            output::print_rows(std::slice::from_ref(&row), out);
            row.exit_code
        }
        Err(err) => output::print_error(err, Some(canceller.provider()), Some(&target), out),
    }
}

/// `--dry-run`: reads the target through `canceller` ([`Canceller::plan`]), prints what the
/// cancel would do, sends no change; the exit code is the one the cancel would give.
async fn dry_run(canceller: &dyn Canceller, request: CancelRequest, out: Output) -> u8 {
    let plan = canceller.plan(&request).await;
    let code = crate::bulk::prediction_exit_code(&plan.prediction);
    match out {
        Output::Json => {
            let value = serde_json::json!({
                "provider": canceller.provider().id(),
                "target": request.target,
                "dry_run": true,
                "prediction": plan.prediction,
                "reading": plan.reading,
                "exit_code": code,
            });
            outln!("{value}");
        }
        _ => {
            outln!(
                "dry run, nothing sent: {} {}: {}",
                canceller.provider().id(),
                request.target,
                plan.prediction
            );
        }
    }
    code
}

fn date(field: &str, text: &str) -> Result<rescind::core::jiff::civil::Date, Error> {
    text.parse()
        .map_err(|_| Error::invalid_input(field, format!("`{text}` must be a date as YYYY-MM-DD")))
}

fn session_id(text: &str) -> Result<u64, Error> {
    text.parse().map_err(|_| {
        Error::invalid_input("ID", format!("`{text}` must be a hosted session's number"))
    })
}

/// `rescind arta ...`
pub async fn arta(
    config: &crate::cli::ArtaConfig,
    call: &CallConfig,
    command: ArtaCommand,
    out: Output,
) -> u8 {
    let target = match &command {
        ArtaCommand::CancelSession { id, .. } | ArtaCommand::ShowSession { id } => id.clone(),
        ArtaCommand::Hold { shipment_id, .. } => shipment_id.clone(),
        ArtaCommand::ShowShipment { id } => id.clone(),
    };
    let fail = |err: Error| output::print_error(&err, Some(Provider::Arta), Some(&target), out);
    let client = match config::arta(config, call) {
        Ok(c) => c,
        Err(err) => return fail(err),
    };
    match command {
        ArtaCommand::CancelSession { id, dry_run: true } => {
            dry_run(&client, CancelRequest::whole(id), out).await
        }
        ArtaCommand::CancelSession { id, .. } => {
            cancel(&client, CancelRequest::whole(id), call.policy(), out).await
        }
        ArtaCommand::Hold {
            shipment_id,
            until,
            dry_run: dry,
        } => {
            let until = match until.as_deref().map(|u| date("--until", u)).transpose() {
                Ok(u) => u,
                Err(err) => return fail(err),
            };
            let request = CancelRequest::hold(shipment_id, until);
            if dry {
                dry_run(&client, request, out).await
            } else {
                cancel(&client, request, call.policy(), out).await
            }
        }
        ArtaCommand::ShowSession { id } => {
            let result = match session_id(&id) {
                Ok(id) => client.get_hosted_session(id).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(r) => {
                    let s = &r.value;
                    let summary = [
                        ("id", s.id.to_string()),
                        ("status", s.status.to_string()),
                        ("shortcode", s.shortcode.clone().unwrap_or_default()),
                        ("private url", output::private_cell(s.url.as_deref())),
                        ("request id", r.request_id.clone().unwrap_or_default()),
                    ];
                    output::print_value(s, &summary, ARTA_SESSION_PRIVATE, out);
                    output::EXIT_DONE
                }
                Err(err) => fail(err),
            }
        }
        ArtaCommand::ShowShipment { id } => match client.get_shipment(&id).await {
            Ok(r) => {
                let s = &r.value;
                let summary = [
                    ("id", s.id.clone()),
                    ("status", s.status.to_string()),
                    ("created at", s.created_at.to_string()),
                    ("exceptions", s.exceptions.len().to_string()),
                    ("request id", r.request_id.clone().unwrap_or_default()),
                ];
                output::print_value(s, &summary, &[], out);
                output::EXIT_DONE
            }
            Err(err) => fail(err),
        },
    }
}

/// `rescind di ...`
pub async fn di(
    config: &crate::cli::DiConfig,
    call: &CallConfig,
    command: DiCommand,
    out: Output,
) -> u8 {
    let target = match &command {
        DiCommand::Cancel { identifier, .. } | DiCommand::Show { identifier } => identifier.clone(),
    };
    let fail = |err: Error| output::print_error(&err, Some(Provider::Di), Some(&target), out);
    let client = match config::di(config, call) {
        Ok(c) => c,
        Err(err) => return fail(err),
    };
    match command {
        DiCommand::Cancel {
            identifier,
            dry_run: true,
        } => dry_run(&client, CancelRequest::whole(identifier), out).await,
        DiCommand::Cancel { identifier, .. } => {
            cancel(
                &client,
                CancelRequest::whole(identifier),
                call.policy(),
                out,
            )
            .await
        }
        DiCommand::Show { identifier } => match client.order_details(&identifier).await {
            Ok(d) => {
                let summary = [
                    ("shipment", d.shipment_id.clone()),
                    (
                        "status",
                        d.edi_status
                            .as_ref()
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                    ),
                    (
                        "desired delivery",
                        d.desired_delivery_date
                            .map(|x| x.to_string())
                            .unwrap_or_default(),
                    ),
                    ("pick-up", d.is_pickup().to_string()),
                    ("shop", d.shop_name.clone().unwrap_or_default()),
                ];
                output::print_value(&d, &summary, &[], out);
                output::EXIT_DONE
            }
            Err(err) => fail(err),
        },
    }
}

/// `rescind skippay ...`
pub async fn skippay(
    config: &crate::cli::SkipPayConfig,
    call: &CallConfig,
    command: SkipPayCommand,
    out: Output,
) -> u8 {
    let target = match &command {
        SkipPayCommand::Cancel { application_id, .. } | SkipPayCommand::Show { application_id } => {
            application_id.clone()
        }
    };
    let fail = |err: Error| output::print_error(&err, Some(Provider::SkipPay), Some(&target), out);
    let client = match config::skippay(config, call) {
        Ok(c) => c,
        Err(err) => return fail(err),
    };
    match command {
        SkipPayCommand::Cancel {
            application_id,
            items: texts,
            dry_run: dry,
        } => {
            let request = if texts.is_empty() {
                CancelRequest::whole(application_id)
            } else {
                let parsed: Result<Vec<_>, _> = texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| items::parse_item(i, t))
                    .collect();
                match parsed {
                    Ok(selectors) => CancelRequest::items(application_id, selectors),
                    Err(err) => return fail(err),
                }
            };
            if dry {
                dry_run(&client, request, out).await
            } else {
                cancel(&client, request, call.policy(), out).await
            }
        }
        SkipPayCommand::Show { application_id } => {
            match client.get_application(&application_id).await {
                Ok(a) => {
                    let order = a.order.as_ref();
                    let items = order
                        .map(|o| {
                            o.items
                                .iter()
                                .map(|i| {
                                    format!(
                                        "{} x{} {}",
                                        i.code.clone().or(i.name.clone()).unwrap_or_default(),
                                        i.quantity.map(|q| q.to_string()).unwrap_or_default(),
                                        i.state.as_ref().map(|s| s.to_string()).unwrap_or_default()
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .unwrap_or_default();
                    let summary = [
                        ("application", a.id.clone()),
                        ("state", a.state.to_string()),
                        (
                            "order state",
                            order
                                .and_then(|o| o.state.as_ref())
                                .map(|s| s.to_string())
                                .unwrap_or_default(),
                        ),
                        ("items", items),
                    ];
                    output::print_value(&a, &summary, SKIPPAY_APPLICATION_PRIVATE, out);
                    output::EXIT_DONE
                }
                Err(err) => fail(err),
            }
        }
    }
}
