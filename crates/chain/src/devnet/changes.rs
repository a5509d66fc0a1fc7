//! Which accounts and storage slots the devnet changed since its last snapshot frame, so a frame
//! (`snapshot.rs`) holds what changed, not the whole state: its cost follows the transactions
//! since the previous frame, not every pull payment ever registered.

use std::collections::{HashMap, HashSet};

use alloy::primitives::{Address, B256, Bytes, U256};
use revm::bytecode::Bytecode;
use revm::database::{AccountState, CacheDB, EmptyDB};
use revm::state::{Account, AccountInfo};

/// Changed since the last frame: per account, the storage slots written, or `None` when its
/// storage was replaced whole (created or self-destructed); and the contract codes added.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    accounts: HashMap<Address, Option<HashSet<U256>>>,
    codes: HashSet<B256>,
}

impl Changes {
    /// Notes what `commit` is about to apply to `db` (the same rules as `CacheDB::commit`).
    pub fn record<'a>(
        &mut self,
        db: &CacheDB<EmptyDB>,
        committed: impl IntoIterator<Item = (&'a Address, &'a Account)>,
    ) {
        for (address, account) in committed {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() || account.is_created() {
                self.accounts.insert(*address, None);
            } else if let Some(slots) = self
                .accounts
                .entry(*address)
                .or_insert(Some(HashSet::new()))
            {
                // Slots only read are cached with the value the empty database gives anyway.
                slots.extend(
                    account
                        .storage
                        .iter()
                        .filter(|(_, slot)| slot.is_changed())
                        .map(|(key, _)| *key),
                );
            }
            if let Some(code) = &account.info.code
                && !code.is_empty()
                && !db.cache.contracts.contains_key(&account.info.code_hash)
            {
                self.codes.insert(account.info.code_hash);
            }
        }
    }

    /// The changed accounts and codes as `db` holds them now; the record starts afresh.
    pub fn take(&mut self, db: &CacheDB<EmptyDB>) -> Delta {
        let Changes { accounts, codes } = std::mem::take(self);
        let cache = &db.cache;
        Delta {
            contracts: codes
                .into_iter()
                .filter_map(|hash| Some((hash, cache.contracts.get(&hash)?.original_bytes())))
                .collect(),
            accounts: accounts
                .into_iter()
                .filter_map(|(address, slots)| {
                    let account = cache.accounts.get(&address)?;
                    let storage = match &slots {
                        None => account.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                        Some(slots) => slots
                            .iter()
                            .map(|k| (*k, account.storage.get(k).copied().unwrap_or_default()))
                            .collect(),
                    };
                    Some((
                        address,
                        AccountDelta {
                            state: account.account_state.clone(),
                            info: account.info.clone(),
                            replace: slots.is_none(),
                            storage,
                        },
                    ))
                })
                .collect(),
            block_hashes: cache.block_hashes.iter().map(|(n, h)| (*n, *h)).collect(),
        }
    }

    /// Everything `db` holds, as if every account had been replaced: the delta from the genesis
    /// of a new snapshot file. The record starts afresh.
    pub fn take_all(&mut self, db: &CacheDB<EmptyDB>) -> Delta {
        *self = Changes {
            accounts: db.cache.accounts.keys().map(|a| (*a, None)).collect(),
            codes: db.cache.contracts.keys().copied().collect(),
        };
        self.take(db)
    }
}

/// Accounts (with the slots that changed, or all of them) and codes as they were when a frame
/// was taken.
#[derive(Debug, Clone, Default)]
pub(crate) struct Delta {
    pub contracts: Vec<(B256, Bytes)>,
    pub accounts: Vec<(Address, AccountDelta)>,
    /// The BLOCKHASH cache, whole: it stays empty unless a contract asks for a block hash.
    pub block_hashes: Vec<(U256, B256)>,
}

#[derive(Debug, Clone)]
pub(crate) struct AccountDelta {
    pub state: AccountState,
    pub info: AccountInfo,
    /// `storage` is all of the account's storage, not only the slots that changed.
    pub replace: bool,
    pub storage: Vec<(U256, U256)>,
}

impl Delta {
    /// Brings `db` from the state of the previous frame to this one's.
    pub fn apply(&self, db: &mut CacheDB<EmptyDB>) {
        for (hash, code) in &self.contracts {
            db.cache
                .contracts
                .insert(*hash, Bytecode::new_raw(code.clone()));
        }
        for (address, delta) in &self.accounts {
            let account = db.cache.accounts.entry(*address).or_default();
            account.info = delta.info.clone();
            account.account_state = delta.state.clone();
            if delta.replace {
                account.storage.clear();
            }
            account.storage.extend(delta.storage.iter().copied());
        }
        for (number, hash) in &self.block_hashes {
            db.cache.block_hashes.insert(*number, *hash);
        }
    }
}
