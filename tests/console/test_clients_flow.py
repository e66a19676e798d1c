from tests.console.conftest import post


def test_create_check_consent_receipt(console, alice, harbor, make_client, eastside):
    make_client(eastside, given_name="María-José", family_name="Núñez", date_of_birth="1991-02-03")
    browser = console(alice)
    form = {"given_name": "maria jose", "family_name": "NUNEZ", "date_of_birth": "1991-02-03"}
    check = post(browser, "/app/clients/duplicates", form)
    assert b"may already have a record" in check.content, check.content
    refused = post(browser, "/app/clients/new", {**form, "action": "save"})
    assert refused.status_code == 400
    made = post(browser, "/app/clients/new", {**form, "action": "save", "not_a_duplicate": "on"})
    assert made.status_code == 302, made.content[:3000]
    client_url = made["Location"].split("?")[0]
    page = browser.get(client_url)
    assert b"maria jose" in page.content
    consent = post(
        browser,
        client_url + "consents/new",
        {
            "decision": "yes",
            "recipient": str(harbor.id),
            "categories": ["identity", "contact"],
            "purpose": "case_coordination",
            "days": "90",
            "method": "written",
            "signed_by": "client",
            "informed": "on",
            "language": "es",
        },
    )
    assert consent.status_code == 302, consent.content.decode()[:5000]
    receipt = browser.get(consent["Location"])
    assert receipt.status_code == 200
    assert b"Harbor" in receipt.content
    pdf = browser.get(consent["Location"].replace("receipt?", "receipt.pdf?"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_duplicate_check_works_without_a_date_of_birth(console, alice, eastside, make_client):
    make_client(eastside, given_name="Ana-María", family_name="Núñez", date_of_birth="1991-02-03")
    browser = console(alice)
    form = {"given_name": "ana maria", "family_name": "NUNEZ", "date_of_birth": ""}
    check = post(browser, "/app/clients/duplicates", form)
    assert b"may already have a record" in check.content
    assert b"We checked the names only" in check.content and b"born 1991-02-03" in check.content
    refused = post(browser, "/app/clients/new", {**form, "action": "save"})
    assert refused.status_code == 400 and b"There is a problem" in refused.content
    other = post(
        browser, "/app/clients/duplicates", {**form, "given_name": "Ana", "family_name": "Other"}
    )
    assert b"No existing record matches these names" in other.content
