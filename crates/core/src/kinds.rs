//! The closed sets of the two API documents: statuses, payment-model types and networks. Each is
//! an enum that parses from, and prints as, the exact spelling the documents use, so a status is
//! compared by type and an unknown spelling is refused where it enters.
use std::fmt;
use std::str::FromStr;

/// A spelling that is not one of the set's members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not one of {expected}")]
pub struct UnknownKind {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// An enum whose members are spelled as in the documents (`as_str`, `FromStr`, `Display`,
/// serde as that string).
macro_rules! spelled {
    ($(#[$meta:meta])* $name:ident ($what:literal) { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownKind;
            fn from_str(s: &str) -> Result<Self, UnknownKind> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownKind {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

spelled! {
    /// A withdrawal's life (seed 000): `pending` until confirmed or cancelled, `processing` while
    /// the payout network has it, then `succeeded` or `failed`.
    WithdrawalStatus ("withdrawal status") {
        Pending = "pending",
        Processing = "processing",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl WithdrawalStatus {
    /// No further change can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            WithdrawalStatus::Succeeded | WithdrawalStatus::Failed | WithdrawalStatus::Cancelled
        )
    }
}

spelled! {
    /// A recipient (beneficiary): `pending` until the bank inquiry answers.
    RecipientStatus ("recipient status") {
        Pending = "pending",
        Active = "active",
        Rejected = "rejected",
    }
}

spelled! {
    /// An FX quote: `open` until it expires or is converted.
    QuoteStatus ("quote status") {
        Open = "open",
        Converted = "converted",
    }
}

spelled! {
    /// A background job.
    JobStatus ("job status") {
        Queued = "queued",
        Running = "running",
        Done = "done",
        /// Out of attempts: kept for an operator.
        Dead = "dead",
    }
}

spelled! {
    /// A payment model's review status (seed 004 `statusCode`).
    PaymentModelStatus ("statusCode") {
        Pending = "PND",
        Approved = "APR",
        Rejected = "REJ",
        Suspended = "SUP",
    }
}

impl PaymentModelStatus {
    /// The document's `statusName`.
    pub fn name(self) -> &'static str {
        match self {
            PaymentModelStatus::Pending => "Pending",
            PaymentModelStatus::Approved => "Approved",
            PaymentModelStatus::Rejected => "Rejected",
            PaymentModelStatus::Suspended => "Suspended",
        }
    }
}

spelled! {
    /// A fiat settlement (seed 004 "Settlement Layer APIs"): `pending` from its creation until it
    /// is paid (`settled`) or an operator marks it `unsettled` (not paid; it can still be settled
    /// later).
    SettlementStatus ("settlement status") {
        Pending = "pending",
        Settled = "settled",
        Unsettled = "unsettled",
    }
}

/// The seven payment-model types of seed 004 (`typeID` 2 to 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentModelType {
    Single = 2,
    Subscription = 3,
    SubscriptionWithInitial = 4,
    SubscriptionWithTrial = 5,
    SubscriptionWithTrialAndInitial = 6,
    Dynamic = 7,
    TopUp = 8,
}

impl PaymentModelType {
    pub const ALL: &'static [PaymentModelType] = &[
        PaymentModelType::Single,
        PaymentModelType::Subscription,
        PaymentModelType::SubscriptionWithInitial,
        PaymentModelType::SubscriptionWithTrial,
        PaymentModelType::SubscriptionWithTrialAndInitial,
        PaymentModelType::Dynamic,
        PaymentModelType::TopUp,
    ];

    pub fn from_id(id: i64) -> Option<PaymentModelType> {
        Self::ALL.iter().copied().find(|t| t.id() == id)
    }

    pub fn id(self) -> i64 {
        self as i64
    }

    pub fn name(self) -> &'static str {
        match self {
            PaymentModelType::Single => "single pull payment",
            PaymentModelType::Subscription => "subscription",
            PaymentModelType::SubscriptionWithInitial => "subscription with initial payment",
            PaymentModelType::SubscriptionWithTrial => "subscription with trial",
            PaymentModelType::SubscriptionWithTrialAndInitial => {
                "subscription with trial and initial payment"
            }
            PaymentModelType::Dynamic => "dynamic pull payment",
            PaymentModelType::TopUp => "top-up pull payment",
        }
    }

    /// Pulled on a schedule (types 3 to 6).
    pub fn is_recurring(self) -> bool {
        matches!(
            self,
            PaymentModelType::Subscription
                | PaymentModelType::SubscriptionWithInitial
                | PaymentModelType::SubscriptionWithTrial
                | PaymentModelType::SubscriptionWithTrialAndInitial
        )
    }

    /// An initial payment is pulled at registration (types 4 and 6).
    pub fn has_initial_payment(self) -> bool {
        matches!(
            self,
            PaymentModelType::SubscriptionWithInitial
                | PaymentModelType::SubscriptionWithTrialAndInitial
        )
    }

    /// The first recurring pull waits a trial period (types 5 and 6).
    pub fn has_trial(self) -> bool {
        matches!(
            self,
            PaymentModelType::SubscriptionWithTrial
                | PaymentModelType::SubscriptionWithTrialAndInitial
        )
    }
}

/// An enum of seed 004 whose members the documents number (`id`, `from_id`).
macro_rules! numbered {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $id),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn from_id(id: i64) -> Option<$name> {
                Self::ALL.iter().copied().find(|k| k.id() == id)
            }

            pub fn id(self) -> i64 {
                self as i64
            }
        }
    };
}

numbered! {
    /// Pull-payment statuses of seed 004 (decisions.md §2, "Pull payments on chain").
    PullPaymentStatus {
        /// Signed by the customer, awaiting registration on chain.
        Initial = 1,
        Running = 2,
        /// The business was disabled or the payment model suspended.
        Stopped = 3,
        Cancelled = 4,
        Done = 5,
        /// A transaction of it is in flight.
        Processing = 6,
        /// A pull failed after its retries (the reason is kept).
        Failed = 7,
    }
}

impl PullPaymentStatus {
    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PullPaymentStatus::Stopped
                | PullPaymentStatus::Cancelled
                | PullPaymentStatus::Done
                | PullPaymentStatus::Failed
        )
    }
}

numbered! {
    /// Transaction types of seed 004.
    TxType {
        Register = 1,
        Initial = 2,
        Execute = 3,
        Cancel = 4,
        RegisterAndExecute = 5,
    }
}

numbered! {
    /// Transaction statuses of seed 004 (the postback's `type`: 1 pending, 2 failed, 3 success).
    TxStatus {
        Pending = 1,
        Failed = 2,
        Success = 3,
    }
}

/// The networks of seed 004 (`networkID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    Main = 1,
    Test = 3,
}

impl Network {
    pub fn from_id(id: i64) -> Option<Network> {
        match id {
            1 => Some(Network::Main),
            3 => Some(Network::Test),
            _ => None,
        }
    }

    pub fn id(self) -> i64 {
        self as i64
    }

    /// The ledger mode of the network's money: the main network's is live, the test network's
    /// is test (as the accounts API's test mode, it never reaches real money).
    pub fn mode(self) -> &'static str {
        match self {
            Network::Main => "live",
            Network::Test => "test",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_back_to_its_member() {
        for s in WithdrawalStatus::ALL {
            assert_eq!(s.as_str().parse::<WithdrawalStatus>(), Ok(*s));
        }
        for s in PaymentModelStatus::ALL {
            assert_eq!(s.as_str().parse::<PaymentModelStatus>(), Ok(*s));
        }
        for s in SettlementStatus::ALL {
            assert_eq!(s.as_str().parse::<SettlementStatus>(), Ok(*s));
        }
        for s in JobStatus::ALL {
            assert_eq!(s.to_string().parse::<JobStatus>(), Ok(*s));
        }
        let e = "Pending".parse::<WithdrawalStatus>().unwrap_err();
        assert!(e.to_string().contains("pending processing"), "{e}");
    }

    #[test]
    fn payment_model_types_are_ids_two_to_eight() {
        let ids: Vec<i64> = PaymentModelType::ALL.iter().map(|t| t.id()).collect();
        assert_eq!(ids, vec![2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(PaymentModelType::from_id(1), None);
        assert_eq!(PaymentModelType::from_id(9), None);
        let recurring: Vec<i64> = PaymentModelType::ALL
            .iter()
            .filter(|t| t.is_recurring())
            .map(|t| t.id())
            .collect();
        assert_eq!(recurring, vec![3, 4, 5, 6]);
        assert_eq!(Network::from_id(3), Some(Network::Test));
        assert_eq!(Network::from_id(2), None);
    }
}
