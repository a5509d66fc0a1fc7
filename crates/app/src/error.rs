use payplane_store::StoreError;

/// What went wrong, independent of the API face; the http crate renders it in each face's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    PaymentRequired,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// The resource existed but is no longer usable (an expired pull-payment request).
    Gone,
    /// The client was too slow sending its request.
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::PaymentRequired => 402,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::Gone => 410,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Unavailable => 503,
        }
    }
}

/// One precise problem: a stable machine code, a message, the field it concerns and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub field: Option<String>,
    pub code: String,
    pub message: String,
    pub arguments: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    pub details: Vec<Detail>,
    /// Internal cause, logged but never shown to the client.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError {
            kind,
            details: vec![Detail {
                field: None,
                code: code.into(),
                message: message.clone(),
                arguments: vec![],
            }],
            message,
            source: None,
        }
    }
    /// A validation error about one field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::BadRequest, code, message);
        e.details[0].field = Some(field.into());
        e
    }
    /// Several validation errors at once.
    pub fn fields(details: Vec<Detail>) -> Self {
        let message = details
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "Invalid request".into());
        AppError {
            kind: ErrorKind::BadRequest,
            message,
            details,
            source: None,
        }
    }
    pub fn with_arguments(mut self, args: Vec<String>) -> Self {
        if let Some(d) = self.details.first_mut() {
            d.arguments = args;
        }
        self
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, "unauthorized", message)
    }
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }
    pub fn payment_required(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PaymentRequired, code, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, "error.unavailable", message)
    }
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut e = Self::new(
            ErrorKind::Internal,
            "error.internal",
            "An internal error occurred",
        );
        e.source = Some(Box::new(source));
        e
    }
    pub fn code(&self) -> &str {
        self.details
            .first()
            .map(|d| d.code.as_str())
            .unwrap_or("error")
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::conflict(
                "error.conflict",
                format!("The request conflicts with existing data ({what})"),
            ),
            StoreError::NotFound => {
                AppError::not_found("error.not.found", "The specified data could not be found")
            }
            StoreError::InsufficientFunds => AppError::payment_required(
                "error.balance.insufficient",
                "The available balance is not enough",
            ),
            StoreError::ClaimLost => AppError::conflict(
                "error.idempotency.in.progress",
                "This request ran so long that a retry with its Idempotency-Key took over; it did nothing",
            ),
            StoreError::Overflow(_) => AppError::bad_request(
                "error.amount.overflow",
                "This operation would take a ledger balance past its limit and was refused",
            ),
            other => AppError::internal(other),
        }
    }
}

impl From<payplane_store::sqlx::Error> for AppError {
    fn from(e: payplane_store::sqlx::Error) -> Self {
        AppError::from(StoreError::from(e))
    }
}

/// One field's error, for `AppError::fields`.
pub(crate) fn detail(field: &str, code: &str, message: &str) -> Detail {
    Detail {
        field: Some(field.into()),
        code: code.into(),
        message: message.into(),
        arguments: vec![],
    }
}
