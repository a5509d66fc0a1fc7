// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title PMA token of the payplane test network.
/// @notice ERC-20 with EIP-2612 permit, so a customer can approve the pull-payment contract
///         with an off-chain signature and needs no ETH to start a subscription.
/// @dev The owner can mint: the test network's faucet needs it. The main network uses the
///      public PMA token instead of this contract.
contract PMAToken is ERC20, ERC20Permit, Ownable {
    constructor(address initialOwner, uint256 initialSupply)
        ERC20("PumaPay", "PMA")
        ERC20Permit("PumaPay")
        Ownable(initialOwner)
    {
        _mint(initialOwner, initialSupply);
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
