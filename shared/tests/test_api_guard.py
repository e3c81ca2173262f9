import pytest

BODY = {"title": "concert", "price": "10"}


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil"])
def test_another_site_is_refused(api_client, origin):
    response = api_client.post("/api/sample/echo", BODY, format="json", HTTP_ORIGIN=origin)

    assert response.status_code == 403
    assert response.json() == {"errors": [{"message": "Cross-site requests are not allowed"}]}


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil-localhost",  # ends with the host
        "http://evil.localhost",
        "http://localhost.evil.com",  # starts with the host
        "http://localhost:8080",  # the host on another port
        "http://localhostx",
        "https://localhost",  # the host over another scheme
        "ws://localhost",
        "http://user@localhost",
        "http://localhost/",
    ],
)
def test_an_origin_that_merely_resembles_the_host_is_refused(api_client, origin):
    response = api_client.post(
        "/api/sample/echo", BODY, format="json", HTTP_HOST="localhost", HTTP_ORIGIN=origin
    )

    assert response.status_code == 403
    assert response.json() == {"errors": [{"message": "Cross-site requests are not allowed"}]}


@pytest.mark.parametrize(
    "origin", ["https://ticketing.example.evil.com", "https://evil-ticketing.example"]
)
def test_an_origin_that_merely_resembles_a_trusted_one_is_refused(api_client, settings, origin):
    settings.CSRF_TRUSTED_ORIGINS = ["https://ticketing.example"]

    response = api_client.post("/api/sample/echo", BODY, format="json", HTTP_ORIGIN=origin)

    assert response.status_code == 403


def test_the_host_itself_is_accepted(api_client):
    response = api_client.post(
        "/api/sample/echo",
        BODY,
        format="json",
        HTTP_HOST="localhost",
        HTTP_ORIGIN="http://localhost",
    )

    assert response.status_code == 201


def test_the_host_over_https_behind_a_proxy_that_says_so_is_accepted(api_client):
    # SECURE_PROXY_SSL_HEADER: the gateway or ingress tells the service the client's scheme.
    def post(origin, **proto):
        return api_client.post(
            "/api/sample/echo",
            BODY,
            format="json",
            HTTP_HOST="localhost",
            HTTP_ORIGIN=origin,
            **proto,
        )

    assert post("https://localhost", HTTP_X_FORWARDED_PROTO="https").status_code == 201
    assert post("http://localhost", HTTP_X_FORWARDED_PROTO="https").status_code == 403
    assert post("https://localhost", HTTP_X_FORWARDED_PROTO="http").status_code == 403


def test_the_same_site_is_accepted(api_client):
    response = api_client.post(
        "/api/sample/echo", BODY, format="json", HTTP_ORIGIN="http://testserver"
    )

    assert response.status_code == 201


def test_a_trusted_origin_is_accepted(api_client, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://ticketing.example"]

    response = api_client.post(
        "/api/sample/echo", BODY, format="json", HTTP_ORIGIN="https://ticketing.example"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("title=concert&price=10", "application/x-www-form-urlencoded"),
        ('{"title": "concert", "price": "10"}', "text/plain"),
        ("--b\r\n", "multipart/form-data; boundary=b"),
    ],
)
def test_a_body_that_is_not_json_is_refused(api_client, data, content_type):
    response = api_client.post("/api/sample/echo", data, content_type=content_type)

    assert response.status_code == 415
    assert response.json() == {"errors": [{"message": "Content-Type must be application/json"}]}


def test_an_empty_body_needs_no_content_type(api_client):
    response = api_client.post("/api/sample/echo", "", content_type="text/plain")

    assert response.status_code == 400  # reached the view, which wants a title


def test_paths_outside_the_api_are_not_guarded(api_client):
    response = api_client.get("/healthz", HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 200


# The bare prefix (`/api/sample`, no slash) is where a service's collection lives
# (`POST /api/tickets`); here it is routed to a 404, which the guard must answer first.
def test_the_bare_prefix_refuses_another_site(api_client):
    response = api_client.post(
        "/api/sample", BODY, format="json", HTTP_ORIGIN="https://evil.example"
    )

    assert response.status_code == 403
    assert response.json() == {"errors": [{"message": "Cross-site requests are not allowed"}]}


def test_the_bare_prefix_refuses_a_body_that_is_not_json(api_client):
    response = api_client.post("/api/sample", '{"title": "concert"}', content_type="*/*")

    assert response.status_code == 415
    assert response.json() == {"errors": [{"message": "Content-Type must be application/json"}]}


@pytest.mark.parametrize("path", ["/api/samplefoo", "/api/sampl", "/api"])
def test_paths_that_merely_start_like_the_prefix_are_not_guarded(api_client, path):
    response = api_client.post(path, BODY, format="json", HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 404
