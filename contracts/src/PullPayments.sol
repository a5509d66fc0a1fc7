// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Pull payments bounded by the customer's EIP-712 consent.
/// @notice The customer signs the terms once (typed data a wallet can show); the platform's
///         executors then pull tokens within those terms and nothing more:
///         pull k (0-based) is due at startTime + trialPeriod + k * frequency,
///         at most numberOfPayments pulls (one more when initialAmount > 0, the initial pull),
///         the cumulative tokens never exceed tokenCap, and nothing is pulled after expiry.
///         The token amount of a pull is chosen by the executor at execution time (fiat cents
///         converted at the current rate), which is why tokenCap exists.
contract PullPayments is EIP712, Ownable {
    using SafeERC20 for IERC20;

    struct Terms {
        bytes32 paymentId;
        address customer;
        address treasury;
        string currency;
        uint256 fiatAmount;
        uint256 initialAmount;
        uint256 frequency;
        uint256 numberOfPayments;
        uint256 trialPeriod;
        uint256 startTime;
        uint256 tokenCap;
        uint256 expiry;
    }

    struct Payment {
        address customer;
        address treasury;
        uint64 startTime;
        uint64 trialPeriod;
        uint64 frequency;
        uint64 expiry;
        uint32 maxPulls;
        uint32 pulls;
        bool cancelled;
        uint256 tokenCap;
        uint256 pulled;
    }

    bytes32 public constant TERMS_TYPEHASH = keccak256(
        "PullPayment(bytes32 paymentId,address customer,address treasury,string currency,uint256 fiatAmount,uint256 initialAmount,uint256 frequency,uint256 numberOfPayments,uint256 trialPeriod,uint256 startTime,uint256 tokenCap,uint256 expiry)"
    );
    bytes32 public constant CANCEL_TYPEHASH = keccak256("CancelPullPayment(bytes32 paymentId)");

    IERC20 public immutable token;
    mapping(address => bool) public isExecutor;
    mapping(bytes32 => Payment) private _payments;

    event ExecutorSet(address indexed executor, bool allowed);
    event Registered(
        bytes32 indexed paymentId, address indexed customer, address indexed treasury, uint256 maxPulls, uint256 tokenCap
    );
    event Executed(
        bytes32 indexed paymentId, uint256 pullIndex, uint256 tokenAmount, address indexed treasury, address indexed executor
    );
    event Cancelled(bytes32 indexed paymentId, address indexed by);

    error NotExecutor(address caller);
    error InvalidTerms();
    error InvalidSignature();
    error AlreadyRegistered(bytes32 paymentId);
    error UnknownPayment(bytes32 paymentId);
    error PaymentCancelled(bytes32 paymentId);
    error NotDue(bytes32 paymentId, uint256 dueAt);
    error AllPaymentsMade(bytes32 paymentId);
    error OverTokenCap(bytes32 paymentId, uint256 remaining);
    error PaymentExpired(bytes32 paymentId, uint256 expiry);
    error ZeroAmount();
    error NotAllowedToCancel(address caller);

    modifier onlyExecutor() {
        if (!isExecutor[msg.sender]) revert NotExecutor(msg.sender);
        _;
    }

    constructor(IERC20 token_, address initialOwner) EIP712("PayplanePullPayments", "1") Ownable(initialOwner) {
        token = token_;
    }

    function setExecutor(address executor, bool allowed) external onlyOwner {
        isExecutor[executor] = allowed;
        emit ExecutorSet(executor, allowed);
    }

    /// @notice The EIP-712 digest the customer signs; wallets compute the same from the typed data.
    function termsDigest(Terms calldata t) public view returns (bytes32) {
        return _hashTypedDataV4(_termsStructHash(t));
    }

    function cancelDigest(bytes32 paymentId) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CANCEL_TYPEHASH, paymentId)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Anyone may submit the customer's consent: the signature is what authorises it.
    function register(Terms calldata t, bytes calldata signature) public {
        if (t.customer == address(0) || t.treasury == address(0)) revert InvalidTerms();
        if (t.numberOfPayments == 0 || t.tokenCap == 0) revert InvalidTerms();
        uint256 maxPulls = t.numberOfPayments + (t.initialAmount > 0 ? 1 : 0);
        // A recurring schedule with frequency 0 would make every pull due at once.
        if (maxPulls > 1 && t.frequency == 0) revert InvalidTerms();
        if (
            t.startTime > type(uint64).max || t.trialPeriod > type(uint64).max || t.frequency > type(uint64).max
                || t.expiry > type(uint64).max || maxPulls > type(uint32).max
        ) revert InvalidTerms();
        if (t.expiry <= block.timestamp) revert PaymentExpired(t.paymentId, t.expiry);
        if (_payments[t.paymentId].customer != address(0)) revert AlreadyRegistered(t.paymentId);
        // SignatureChecker also accepts ERC-1271 smart-contract wallets.
        if (!SignatureChecker.isValidSignatureNow(t.customer, termsDigest(t), signature)) revert InvalidSignature();

        _payments[t.paymentId] = Payment({
            customer: t.customer,
            treasury: t.treasury,
            startTime: uint64(t.startTime),
            trialPeriod: uint64(t.trialPeriod),
            frequency: uint64(t.frequency),
            expiry: uint64(t.expiry),
            maxPulls: uint32(maxPulls),
            pulls: 0,
            cancelled: false,
            tokenCap: t.tokenCap,
            pulled: 0
        });
        emit Registered(t.paymentId, t.customer, t.treasury, maxPulls, t.tokenCap);
    }

    /// @notice Applies the customer's EIP-2612 permit and registers in one transaction.
    /// @dev The permit is tried, not required: someone may have front-run it with the same
    ///      signature (then the allowance is already there). A missing allowance shows up as a
    ///      clean failure at the first pull.
    function registerWithPermit(
        Terms calldata t,
        bytes calldata signature,
        uint256 permitValue,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        try IERC20Permit(address(token)).permit(t.customer, address(this), permitValue, permitDeadline, v, r, s) {}
            catch {}
        register(t, signature);
    }

    function execute(bytes32 paymentId, uint256 tokenAmount) external onlyExecutor {
        Payment storage p = _payments[paymentId];
        if (p.customer == address(0)) revert UnknownPayment(paymentId);
        if (p.cancelled) revert PaymentCancelled(paymentId);
        if (p.pulls >= p.maxPulls) revert AllPaymentsMade(paymentId);
        if (block.timestamp > p.expiry) revert PaymentExpired(paymentId, p.expiry);
        uint256 dueAt = _dueAt(p, p.pulls);
        if (block.timestamp < dueAt) revert NotDue(paymentId, dueAt);
        if (tokenAmount == 0) revert ZeroAmount();
        uint256 remaining = p.tokenCap - p.pulled;
        if (tokenAmount > remaining) revert OverTokenCap(paymentId, remaining);

        uint256 pullIndex = p.pulls;
        p.pulls += 1;
        p.pulled += tokenAmount;
        token.safeTransferFrom(p.customer, p.treasury, tokenAmount);
        emit Executed(paymentId, pullIndex, tokenAmount, p.treasury, msg.sender);
    }

    /// @notice Cancel by the customer, the business's treasury or an executor.
    function cancel(bytes32 paymentId) external {
        Payment storage p = _payments[paymentId];
        if (p.customer == address(0)) revert UnknownPayment(paymentId);
        if (msg.sender != p.customer && msg.sender != p.treasury && !isExecutor[msg.sender]) {
            revert NotAllowedToCancel(msg.sender);
        }
        _cancel(paymentId, p, msg.sender);
    }

    /// @notice Cancel with the customer's EIP-712 signature, so a customer without ETH can
    ///         stop a subscription: anyone (the platform) relays it.
    function cancelWithSignature(bytes32 paymentId, bytes calldata signature) external {
        Payment storage p = _payments[paymentId];
        if (p.customer == address(0)) revert UnknownPayment(paymentId);
        if (!SignatureChecker.isValidSignatureNow(p.customer, cancelDigest(paymentId), signature)) {
            revert InvalidSignature();
        }
        _cancel(paymentId, p, p.customer);
    }

    function payment(bytes32 paymentId) external view returns (Payment memory) {
        return _payments[paymentId];
    }

    /// @notice When the next pull may run; type(uint256).max once no pull is left.
    function nextDueAt(bytes32 paymentId) external view returns (uint256) {
        Payment storage p = _payments[paymentId];
        if (p.customer == address(0)) revert UnknownPayment(paymentId);
        if (p.cancelled || p.pulls >= p.maxPulls) return type(uint256).max;
        return _dueAt(p, p.pulls);
    }

    function _cancel(bytes32 paymentId, Payment storage p, address by) private {
        if (p.cancelled) revert PaymentCancelled(paymentId);
        p.cancelled = true;
        emit Cancelled(paymentId, by);
    }

    function _dueAt(Payment storage p, uint256 pullIndex) private view returns (uint256) {
        return uint256(p.startTime) + uint256(p.trialPeriod) + pullIndex * uint256(p.frequency);
    }

    function _termsStructHash(Terms calldata t) private pure returns (bytes32) {
        // Two halves keep the legacy code generator under its stack limit.
        bytes memory head = abi.encode(
            TERMS_TYPEHASH, t.paymentId, t.customer, t.treasury, keccak256(bytes(t.currency)), t.fiatAmount
        );
        bytes memory tail = abi.encode(
            t.initialAmount, t.frequency, t.numberOfPayments, t.trialPeriod, t.startTime, t.tokenCap, t.expiry
        );
        return keccak256(bytes.concat(head, tail));
    }
}
