def test_me_returns_the_caller_and_agency(api, alice):
    response = api(alice).get("/api/v1/me")
    assert response.status_code == 200, response.content
    assert response.json()["agency"]["name"] == "Eastside Legal Clinic"
    assert response.json()["role"] == "caseworker"
