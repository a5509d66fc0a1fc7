//! Where a seed contradicts itself, what the platform serves instead of the sample's word, once,
//! with the inconsistency's id in `../shared/spec/catalog.md` (A-Z*, A-P*) and the decision of
//! `decisions.md` (or of `docs/`). The suite applies these and nothing else: a field not listed
//! here must be served as its sample documents it.
//!
//! `samples` lists the samples a rule applies to (empty: every sample); `path` is the field's
//! place in the body, array elements written `[]`, tuple positions `[n]`; a path starting with
//! `*.` names a field wherever it appears.
use super::shape::Ty;

pub enum Decision {
    /// The field is served with one of these types.
    Types(&'static str, &'static [Ty]),
    /// The field is served under the correct spelling.
    Renamed(&'static str, &'static str),
    /// The sample shows one row where the route serves a list of such rows.
    EachOf(&'static str),
}

pub struct Rule {
    pub samples: &'static [&'static str],
    pub path: &'static str,
    pub decision: Decision,
    pub why: &'static str,
}

/// Samples no route's answer is compared with, and why.
pub static NOT_COMPARED: &[(&str, &str, &str)] = &[
    (
        "004:5294",
        "A-P9/A-P32",
        "the top-up's sample (and the stray P39's) is a postback copied in; the top-up answers the pull it made",
    ),
    (
        "004:5838",
        "A-P32",
        "P44's sample is a sub-business copied in; stopping answers the pull payment's id and status",
    ),
    (
        "004:7335",
        "W1",
        "the outbound postback body: no route answers it (the postback tests check the receiver's body)",
    ),
];

use Decision::*;
use Ty::*;

#[rustfmt::skip]
pub static RULES: &[Rule] = &[
    // ---- seed 000 ----
    Rule { samples: &[], path: "*.roles", decision: Types("A-Z5", &[Array]),
        why: "the table says string, the sample an array; decisions §1: an array" },
    // ---- seed 004: which spelling and which shape ----
    Rule { samples: &["004:3870", "004:6671", "004:7234"], path: "data", decision: EachOf("A-P33"),
        why: "'get all postbacks' is documented with one object; served as an array of them" },
    Rule { samples: &[], path: "*.smartContactID", decision: Renamed("A-P36", "smartContractID"),
        why: "typo of the link rows; P14 spells it smartContractID" },
    Rule { samples: &[], path: "*.parentBusienssPostbackID", decision: Renamed("A-P36", "parentBusinessPostbackID"),
        why: "typo of P51; P47 spells it parentBusinessPostbackID" },
    // ---- seed 004: one type where the samples give several (A-P35) ----
    Rule { samples: &["004:481", "004:738"], path: "data.businessType", decision: Types("A-P35", &[Integer]),
        why: "an id of the businessTypes list; P5 and P42 document (Integer), P3 a string" },
    Rule { samples: &["004:481"], path: "data.gasWalletIndex", decision: Types("A-P35", &[Integer]),
        why: "P5 and P42 document (Integer), P3 a string" },
    Rule { samples: &["004:481", "004:738"], path: "data.industry1", decision: Types("A-P35", &[Integer]),
        why: "an id of the industries list (P5 lists them with ids); P44's row documents (Integer)" },
    Rule { samples: &["004:481", "004:738"], path: "data.industry2", decision: Types("A-P35", &[Integer, Null]),
        why: "as industry1; optional, P44's row documents (Integer|null)" },
    Rule { samples: &["004:738"], path: "data.industries[].id", decision: Types("A-P35", &[Integer]),
        why: "the ids industry1/industry2 take; businessTypes[].id is documented (Integer)" },
    Rule { samples: &["004:5682"], path: "data[].industry1", decision: Types("A-P35", &[Integer]),
        why: "as in P3/P5" },
    Rule { samples: &["004:5682"], path: "data[].industry2", decision: Types("A-P35", &[Integer, Null]),
        why: "as in P3/P5" },
    Rule { samples: &["004:5682"], path: "data[].registrationDate", decision: Types("A-P35", &[String]),
        why: "P3 and P44's row document a date string (ISO-8601, as every other date of a business)" },
    Rule { samples: &["004:5682"], path: "data[].updateDate", decision: Types("A-P35", &[String]),
        why: "as registrationDate" },
    Rule { samples: &["004:5682"], path: "data[].state", decision: Types("A-P35", &[String, Null]),
        why: "P3/P5 document a string, P44's row (String|null): free text, optional" },
    Rule { samples: &["004:5682"], path: "data[].zipCode", decision: Types("A-P35", &[String]),
        why: "P3/P5 and P44's row document a string (a number sent is kept as its text)" },
    Rule { samples: &["004:5682"], path: "data[].treasuryWallet", decision: Types("A-P43", &[String, Null]),
        why: "null until the business submits its treasury wallet (P6): there is no address to show" },
    Rule { samples: &["004:3987", "004:4138"], path: "data[1][].categoryID", decision: Types("A-P35", &[Integer]),
        why: "P9-P11 document (Integer)" },
    Rule { samples: &["004:3987", "004:4138"], path: "data[1][].creationTimestamp", decision: Types("A-P35", &[Integer]),
        why: "Unix seconds, P9-P11 document (Integer)" },
    Rule { samples: &["004:3987", "004:4138"], path: "data[1][].lastUpdateTimestamp", decision: Types("A-P35", &[Integer]),
        why: "Unix seconds, P9-P11 document (Integer)" },
    Rule { samples: &["004:3987", "004:4138"], path: "data[1][].verified", decision: Types("A-P37", &[Boolean]),
        why: "described as the postback's; it is the product's flag, P9 documents (Boolean)" },
    Rule { samples: &["004:4290", "004:4484"], path: "data[1][].numberOfPayments", decision: Types("A-P35", &[Integer]),
        why: "P14-P16 document (Integer)" },
    Rule { samples: &["004:4290", "004:4484"], path: "data[1][].trialPeriod", decision: Types("A-P18", &[Integer]),
        why: "seconds; P14's answer documents (Integer), the row a string" },
    Rule { samples: &["004:4290", "004:4484"], path: "data[1][].smartContractID", decision: Types("A-P35", &[Integer]),
        why: "P14 documents (Integer)" },
    Rule { samples: &["004:2763", "004:3255", "004:2948", "004:3107", "004:5129"], path: "*.paymentType", decision: Types("A-P35", &[Integer]),
        why: "documented Integer[] on a single transaction, which has one payment model type" },
    Rule { samples: &["004:3255"], path: "data[].transactionType", decision: Types("A-P35", &[String]),
        why: "the report follows P19 (String); P22 documents the same route with (Integer)" },
    Rule { samples: &["004:2763", "004:3255"], path: "data[].transactionIndex", decision: Types("A-P35", &[Integer, Null]),
        why: "the report follows P19 (Integer); null for a transaction that is no pull (register, cancel)" },
    Rule { samples: &["004:2948", "004:3107"], path: "data[].transactionIndex", decision: Types("A-P35", &[String, Null]),
        why: "(String) as documented; null for a transaction that is no pull (register, cancel)" },
    Rule { samples: &["004:5129"], path: "data.transactions[].transactionType", decision: Types("A-P35", &[Integer]),
        why: "documented Integer[] on a single transaction; one type, as P20 documents" },
    Rule { samples: &["004:5129"], path: "data.transactions[].pmaBalance", decision: Types("A-P35", &[String]),
        why: "PMA has 18 decimals: the exact decimal as a string (P35's pmaBalance is a string)" },
    Rule { samples: &["004:5004"], path: "data[].assetAmount", decision: Types("A-P35", &[String]),
        why: "PMA has 18 decimals: the exact decimal as a string, as P34 documents it" },
    Rule { samples: &["004:5129"], path: "data.assetAmount", decision: Types("A-P35", &[String]),
        why: "PMA has 18 decimals: the exact decimal as a string, as P34 documents it" },
    Rule { samples: &["004:5004"], path: "data[].currency", decision: Types("A-P35", &[String]),
        why: "typed Integer but holds EUR or USD" },
    Rule { samples: &["004:5129"], path: "data.currency", decision: Types("A-P35", &[String]),
        why: "typed Integer but holds EUR or USD" },
    Rule { samples: &["004:5004"], path: "data[].createdAt", decision: Types("A-P35", &[String]),
        why: "P34 documents the ISO-8601 format" },
    Rule { samples: &["004:5129"], path: "data.updatedAt", decision: Types("A-P35", &[String]),
        why: "P34 and P36 document the ISO-8601 format" },
    Rule { samples: &["004:4820"], path: "data.feeAmount", decision: Types("A-P35", &[Integer]),
        why: "fiat cents, as totalFiatAmount is documented in P36 (Integer)" },
    Rule { samples: &["004:4820"], path: "data.totalFiatAmount", decision: Types("A-P35", &[Integer]),
        why: "fiat cents; P36 documents (Integer)" },
    Rule { samples: &["004:4820", "004:5004", "004:5129"], path: "*.txHash", decision: Types("A-P48", &[String, Null]),
        why: "the hash of paying the settlement QR code (catalog 9.7): null until it is paid" },
    Rule { samples: &["004:6923"], path: "data.valid", decision: Types("A-P35", &[String]),
        why: "postback valid is typed String (P23, P24, P26); P52 says Boolean" },
    // ---- seed 004: what some types and states have not (A-P19, A-P51) ----
    Rule { samples: &["004:1789", "004:2087", "004:2258", "004:2312"], path: "*.amount", decision: Types("A-P19", &[Integer, Null]),
        why: "a top-up model (type 8) has no amount, and a dynamic one (7) none until its QR code" },
    Rule { samples: &["004:1789", "004:2087", "004:2258", "004:2312"], path: "*.frequency", decision: Types("A-P19", &[Integer, Null]),
        why: "a top-up model (type 8) pulls when asked, on no schedule" },
    Rule { samples: &["004:1789", "004:2087", "004:2258", "004:2312"], path: "*.numberOfPayments", decision: Types("A-P19", &[Integer, Null]),
        why: "a top-up model (type 8) is bounded by its limit, not a count" },
    Rule { samples: &["004:2428", "004:2609", "004:2675", "004:2763", "004:2948", "004:3107", "004:3255"], path: "*.nextPaymentDate",
        decision: Types("A-P51", &[String, Null]),
        why: "null when no payment is due: a top-up pays when asked, a done, stopped or cancelled payment never again" },
    Rule { samples: &["004:5129"], path: "data.transactions[].nextPaymentDate", decision: Types("A-P51", &[Integer, Null]),
        why: "as documented here (Integer), null when no payment is due" },
    // ---- seed 004: links that may be unset (A-P46) ----
    Rule { samples: &[], path: "*.parentBusinessPostbackID", decision: Types("A-P46", &[String, Null]),
        why: "null until P47 links a parent postback, and again after P53 removes it" },
    Rule { samples: &["004:4138", "004:4484", "004:6185"], path: "data[1][].businessPostbackID", decision: Types("A-P46", &[String, Null]),
        why: "the remove routes answer the row after its link is removed: none is left" },
];

/// Whether a rule for `samples` at `pattern` concerns field `path` of sample `key`.
pub fn applies(samples: &[&str], pattern: &str, key: &str, path: &str) -> bool {
    (samples.is_empty() || samples.contains(&key))
        && match pattern.strip_prefix("*.") {
            Some(field) => {
                path.ends_with(&format!(".{field}")) || (path == field && !key.starts_with("004"))
            }
            None => pattern == path,
        }
}

/// The rule for field `path` of sample `key`, if any.
pub fn decision(key: &str, path: &str) -> Option<&'static Decision> {
    RULES
        .iter()
        .find(|r| applies(r.samples, r.path, key, path))
        .map(|r| &r.decision)
}

/// A documented enumeration: the values a field may take.
pub struct Enumeration {
    pub samples: &'static [&'static str],
    pub path: &'static str,
    pub values: &'static [&'static str],
    /// Where the seed lists the values.
    pub source: &'static str,
}

#[rustfmt::skip]
pub static ENUMERATIONS: &[Enumeration] = &[
    Enumeration { samples: &["000:483"], path: "status", values: &["pending", "active", "rejected"], source: "000 L483, decisions §1 (A-Z12)" },
    Enumeration { samples: &["000:483"], path: "type", values: &["personal", "business"], source: "000 L483, decisions §1 (A-Z12)" },
    Enumeration { samples: &["000:556", "000:624", "000:686"], path: "status",
        values: &["pending", "processing", "succeeded", "failed", "cancelled"], source: "000 L556, decisions §1 (A-Z17)" },
    Enumeration { samples: &["000:280", "000:340", "000:424"], path: "currencyId", values: &["IDR", "USD", "SGD", "MYR", "EUR"], source: "000 L264" },
    Enumeration { samples: &["000:340"], path: "[].currencyId", values: &["IDR", "USD", "SGD", "MYR", "EUR"], source: "000 L264" },
    Enumeration { samples: &["004:2428"], path: "data[].status", values: &["1", "2", "3", "4", "5", "6", "7"], source: "004 PullPayment statuses" },
    Enumeration { samples: &["004:2609", "004:2675"], path: "data.status", values: &["1", "2", "3", "4", "5", "6", "7"], source: "004 PullPayment statuses" },
    Enumeration { samples: &["004:2428"], path: "data[].type", values: &["2", "3", "4", "5", "6", "7", "8"], source: "004 PullPayment types" },
    Enumeration { samples: &[], path: "*.typeID", values: &["2", "3", "4", "5", "6", "7", "8"], source: "004 Payment Model types (A-P54)" },
    Enumeration { samples: &[], path: "*.statusCode", values: &["PND", "APR", "REJ", "SUP"], source: "004 Payment Model statuses" },
    Enumeration { samples: &[], path: "*.networkID", values: &["1", "3"], source: "004 networks" },
    Enumeration { samples: &[], path: "*.transactionType", values: &["1", "2", "3", "4", "5"], source: "004 transaction types (A-P35)" },
    Enumeration { samples: &[], path: "*.transactionStatus", values: &["1", "2", "3"], source: "004 transaction statuses" },
    Enumeration { samples: &[], path: "*.environment", values: &["Ropsten", "Mainnet"], source: "004 postbacks (A-P23)" },
    Enumeration { samples: &["004:4820"], path: "data.status", values: &["pending", "settled", "unsettled"], source: "004 fiat settlement statuses" },
    Enumeration { samples: &["004:5004"], path: "data[].status", values: &["pending", "settled", "unsettled"], source: "004 fiat settlement statuses" },
    Enumeration { samples: &["004:4820"], path: "data.currency", values: &["EUR", "USD"], source: "004 settlement currencies (A-P55)" },
    Enumeration { samples: &["004:5004"], path: "data[].currency", values: &["EUR", "USD"], source: "004 settlement currencies (A-P55)" },
];
