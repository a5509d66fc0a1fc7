"""Drives the devnet's JSON-RPC with web3.py, as a wallet or dapp would: a PMA transfer signed
locally by a test key, then the receipt, the block, the transaction, the logs and a read call.

usage: web3_transfer.py RPC_URL PRIVATE_KEY TOKEN_ADDRESS TOKEN_ARTIFACT_JSON RECIPIENT AMOUNT
Prints one JSON line with what it saw.
"""
import json
import sys

from web3 import Web3


def main() -> None:
    url, key, token_address, artifact, recipient, amount = sys.argv[1:7]
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    assert w3.is_connected(), "not connected"
    account = w3.eth.account.from_key(key)
    with open(artifact) as f:
        abi = json.load(f)["abi"]
    token = w3.eth.contract(address=Web3.to_checksum_address(token_address), abi=abi)
    to = Web3.to_checksum_address(recipient)

    # build_transaction asks the node for gas (eth_estimateGas) and EIP-1559 fees
    # (eth_maxPriorityFeePerGas, eth_getBlockByNumber's baseFeePerGas).
    tx = token.functions.transfer(to, int(amount)).build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address),
            "chainId": w3.eth.chain_id,
        }
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    block = w3.eth.get_block(receipt["blockNumber"])
    fetched = w3.eth.get_transaction(tx_hash)
    logs = w3.eth.get_logs(
        {"fromBlock": receipt["blockNumber"], "toBlock": receipt["blockNumber"], "address": token.address}
    )
    transfers = token.events.Transfer().process_receipt(receipt)
    print(
        json.dumps(
            {
                "tx_hash": Web3.to_hex(tx_hash),
                "status": receipt["status"],
                "block_number": receipt["blockNumber"],
                "block_hash": Web3.to_hex(block["hash"]),
                "block_has_tx": Web3.to_hex(tx_hash) in [Web3.to_hex(h) for h in block["transactions"]],
                "tx_from": fetched["from"],
                "logs": len(logs),
                "transfer_value": str(transfers[0]["args"]["value"]),
                "recipient_balance": str(token.functions.balanceOf(to).call()),
                "symbol": token.functions.symbol().call(),
                "decimals": token.functions.decimals().call(),
                "eth_balance": str(w3.eth.get_balance(account.address)),
                "code_size": len(w3.eth.get_code(token.address)),
            }
        )
    )


if __name__ == "__main__":
    main()
