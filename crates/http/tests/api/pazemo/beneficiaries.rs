use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::json;

dual!(
    a_recipient_starts_pending_and_the_network_inquiry_makes_it_active,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        // The document's example body: no name, client-side updatedTime and no status.
        let (s, r) = create_beneficiary(
            &t,
            &u,
            json!({"updatedTime": "2019-08-24T14:15:22Z", "accountId": acct, "bankId": "mandiri",
                   "address": "1370012345678", "email": "siti@example.com", "label": "Siti", "type": "personal"}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "accountId",
                "address",
                "bankId",
                "email",
                "id",
                "label",
                "name",
                "status",
                "type"
            ]
        );
        assert!(r["id"].is_i64());
        assert_eq!(r["status"], "pending");
        t.run_jobs().await;
        let (_, got) = get(&t, &u, &format!("/beneficiaries/{}", r["id"])).await;
        assert_eq!(got["status"], "active");
        assert_eq!(
            got["name"], "SANDBOX HOLDER 5678",
            "filled from the inquiry"
        );
        assert_eq!(
            event_types(&t, &u).await,
            ["beneficiary.active", "beneficiary.pending"]
        );
    }
);

dual!(
    an_account_number_ending_in_0000_is_rejected_by_the_sandbox,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        let (_, r) = create_beneficiary(
            &t,
            &u,
            json!({"accountId": acct, "bankId": "bca", "address": "1234560000", "name": "Nobody"}),
        )
        .await;
        t.run_jobs().await;
        let (_, got) = get(&t, &u, &format!("/beneficiaries/{}", r["id"])).await;
        assert_eq!(got["status"], "rejected");
        assert_eq!(event_types(&t, &u).await[0], "beneficiary.rejected");
        let (s, body) = post_raw(
            &t,
            &u,
            &format!("/accounts/{acct}/withdraw"),
            &format!(r#"{{"beneficiaryId": {}, "amount": 10}}"#, r["id"]),
        )
        .await;
        assert_eq!(s, 409);
        assert_validation(&body, "error.beneficiary.not.active");
    }
);

dual!(
    bank_and_account_number_are_checked_for_the_accounts_currency,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let idr = open_account(&t, &u, "IDR").await;
        let eur = open_account(&t, &u, "EUR").await;
        for (body, code) in [
            (
                json!({"accountId": idr, "bankId": "chase", "address": "123456789"}),
                "error.bank.not.supported",
            ),
            (
                json!({"accountId": idr, "bankId": "bca", "address": "123456789"}),
                "error.address.invalid",
            ),
            (
                json!({"accountId": idr, "bankId": "bca", "address": "12345abc90"}),
                "error.address.invalid",
            ),
            (
                json!({"accountId": eur, "bankId": "deutsche_bank", "address": "DE89370400440532013001"}),
                "error.address.invalid",
            ),
            (
                json!({"accountId": idr, "bankId": "bca"}),
                "error.address.required",
            ),
            (
                json!({"accountId": idr, "bankId": "bca", "address": "1234567890", "type": "robot"}),
                "error.type.invalid",
            ),
            (
                json!({"accountId": idr, "bankId": "bca", "address": "1234567890", "email": "nope"}),
                "error.email.invalid",
            ),
        ] {
            let (s, r) = create_beneficiary(&t, &u, body.clone()).await;
            assert_eq!(s, 400, "{body}: {r}");
            assert_validation(&r, code);
        }
        let (s, r) = create_beneficiary(
        &t,
        &u,
        json!({"accountId": eur, "bankId": "deutsche_bank", "address": "DE89 3704 0044 0532 0130 00", "name": "Hans"}),
    )
    .await;
        assert_eq!(
            (s, r["address"].as_str()),
            (200, Some("DE89370400440532013000"))
        );
        let stranger = t.user(Mode::Test).await;
        let (s, r) = create_beneficiary(
            &t,
            &stranger,
            json!({"accountId": idr, "bankId": "bca", "address": "1234567890"}),
        )
        .await;
        assert_eq!(s, 404);
        assert_validation(&r, "error.account.not.found");
    }
);

dual!(the_bank_directory_is_served_per_currency, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (s, idr) = get(&t, &u, "/banks?currency=IDR").await;
    assert_eq!(s, 200);
    let idr = idr.as_array().unwrap();
    assert!(idr.len() >= 10);
    let bca = idr.iter().find(|b| b["id"] == "bca").unwrap();
    assert_eq!(bca["code"], "014");
    let (_, usd) = get(&t, &u, "/banks?currency=USD").await;
    assert!(
        usd.as_array()
            .unwrap()
            .iter()
            .any(|b| b["code"] == "021000021")
    );
    let (_, eur) = get(&t, &u, "/banks?currency=eur").await;
    assert!(eur.as_array().unwrap().iter().all(|b| b["iban"] == true));
    let (s, body) = get(&t, &u, "/banks?currency=CNY").await;
    assert_eq!(s, 400);
    assert_validation(&body, "error.currency.not.supported");
});

dual!(recipients_are_listed_filtered_and_soft_deleted, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let idr = open_account(&t, &u, "IDR").await;
    let usd = open_account(&t, &u, "USD").await;
    let a = active_bca_recipient(&t, &u, &idr).await;
    let (_, c) = create_beneficiary(
        &t,
        &u,
        json!({"accountId": usd, "bankId": "chase", "address": "000123456789", "name": "John"}),
    )
    .await;
    let (_, all) = get(&t, &u, "/beneficiaries").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["id"], c["id"], "newest first");
    let (_, only) = get(&t, &u, &format!("/beneficiaries?accountId={idr}")).await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["id"], a);
    let (s, _) = json(
        t.delete(&format!("/beneficiaries/{a}"))
            .header("authorization", u.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 204);
    let (s, body) = get(&t, &u, &format!("/beneficiaries/{a}")).await;
    assert_eq!(s, 404);
    assert_validation(&body, "error.beneficiary.not.found");
    let (_, all) = get(&t, &u, "/beneficiaries").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let stranger = t.user(Mode::Test).await;
    let (s, _) = get(&t, &stranger, &format!("/beneficiaries/{}", c["id"])).await;
    assert_eq!(s, 404, "another user's recipient");
});
