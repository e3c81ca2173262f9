"""`ticketing-deploy-files` on a repository of its own, with a registry of made-up services."""

import re
from pathlib import Path

import pytest
import yaml

from ticketing_devtools import deploy_files
from ticketing_devtools.cli import frontend_backend_urls
from ticketing_devtools.deploy_files import BLOCK_BEGIN, BLOCK_END, GENERATED, main
from ticketing_shared.registry import SERVICES, Service

ALPHA = Service("alpha", "alphas", 9001, runs_worker=True, signs_tokens=True)
BETA = Service("beta", "betas", 9002, runs_worker=False)
# The catch-all keeps no data, as the real frontend.
FRONT = Service("front", None, 9003, runs_worker=False, uses_database=False)
REGISTRY = (ALPHA, BETA, FRONT)

BASE_KUSTOMIZATION = f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

configMapGenerator:
  - name: ticketing-common
    literals:
      - PUBLIC_HOST=shop.example
      - LOG_LEVEL=INFO

{BLOCK_BEGIN}
resources:
  - whatever was here before
{BLOCK_END}
"""

MAKE_DEV_SECRETS = f"""\
#!/usr/bin/env bash
set -euo pipefail
{BLOCK_BEGIN}
SERVICES=(old)
{BLOCK_END}
for service in "${{SERVICES[@]}}"; do echo "$service"; done
"""

# Written by hand and never generated: the generator must leave it alone.
REDIS_STATEFULSET = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: redis\n"


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository holding alpha (a folder with manage.py) and nothing of beta or front."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["shared", "devtools", "*_service"]\n'
        'exclude = ["front_service"]\n'
    )
    for member in ("shared", "devtools"):
        (tmp_path / member).mkdir()
        (tmp_path / member / "pyproject.toml").write_text(f'[project]\nname = "{member}"\n')
    add_service_folder(tmp_path, ALPHA)
    (tmp_path / "k8s/base/redis").mkdir(parents=True)
    (tmp_path / "k8s/base/kustomization.yaml").write_text(BASE_KUSTOMIZATION)
    (tmp_path / "k8s/base/redis/statefulset.yaml").write_text(REDIS_STATEFULSET)
    (tmp_path / "k8s/make-dev-secrets").write_text(MAKE_DEV_SECRETS)
    return tmp_path


def add_service_folder(repo: Path, service: Service) -> None:
    folder = repo / service.directory
    folder.mkdir()
    (folder / "manage.py").write_text("")
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{service.package}"\n')


def generate(repo: Path, services=REGISTRY) -> int:
    return main(["--repo", str(repo)], services=services)


def check(repo: Path, capsys, services=REGISTRY) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = main(["--check", "--repo", str(repo)], services=services)
    return status, capsys.readouterr().err.splitlines()


def load(repo: Path, path: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((repo / path).read_text()) if doc]


def ingress_paths(repo: Path) -> dict[str, str]:
    (ingress,) = load(repo, "k8s/base/ingress.yaml")
    (rule,) = ingress["spec"]["rules"]
    return {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}


def service_files(name: str, *, worker: bool, database: bool = True) -> set[str]:
    files = {"deployment.yaml", "service.yaml", "kustomization.yaml"}
    if database:
        files |= {"postgres-statefulset.yaml", "postgres-service.yaml"}
    if worker:
        files |= {"worker-deployment.yaml", "beat-deployment.yaml"}
    return {f"k8s/base/{name}/{file}" for file in files}


def generated_files(repo: Path) -> set[str]:
    return {
        path.relative_to(repo).as_posix()
        for path in repo.rglob("*")
        if path.is_file() and GENERATED in path.read_text()
    }


def test_a_registry_service_gets_its_files_once_its_folder_exists(repo, capsys):
    assert generate(repo) == 0

    assert generated_files(repo) == {
        *service_files("alpha", worker=True),
        "alpha_service/Dockerfile",
        "k8s/base/ingress.yaml",
        "k8s/overlays/production/ingress-tls.yaml",
        "k8s/overlays/dev/kustomization.yaml",
        "skaffold.yaml",
    }
    assert ingress_paths(repo) == {
        "/api/alphas": "alpha",
        "/admin/alphas": "alpha",
        # The paths under /api/ and /admin/ that no service claims, beta's among them.
        "/api": "alpha",
        "/admin": "alpha",
    }
    (skaffold,) = load(repo, "skaffold.yaml")
    assert skaffold["build"]["artifacts"] == [
        {
            "image": "ticketing/alpha-service",
            "context": ".",
            "docker": {"dockerfile": "alpha_service/Dockerfile"},
        }
    ]
    assert "SERVICES=(alpha)\n" in (repo / "k8s/make-dev-secrets").read_text()
    (base,) = load(repo, "k8s/base/kustomization.yaml")
    assert base["resources"] == ["ingress.yaml", "redis", "alpha"]
    assert base["configMapGenerator"][0]["literals"] == [
        "PUBLIC_HOST=shop.example",
        "LOG_LEVEL=INFO",
    ]
    (tls,) = load(repo, "k8s/overlays/production/ingress-tls.yaml")
    assert tls["spec"]["tls"][0]["hosts"] == ["shop.example"]
    (ingress,) = load(repo, "k8s/base/ingress.yaml")
    assert ingress["spec"]["rules"][0]["host"] == "shop.example"
    assert (repo / "k8s/base/redis/statefulset.yaml").read_text() == REDIS_STATEFULSET

    assert check(repo, capsys) == (0, [])


def test_a_new_service_is_its_folder_and_its_registry_entry(repo, capsys):
    assert generate(repo) == 0
    add_service_folder(repo, BETA)

    status, problems = check(repo, capsys)
    assert status == 1
    missing = {*service_files("beta", worker=False), "beta_service/Dockerfile"}
    assert {f"missing: {path}" for path in missing} <= set(problems)
    assert "stale: k8s/base/ingress.yaml" in problems
    assert not (repo / "k8s/base/beta").exists(), "--check writes nothing"

    assert generate(repo) == 0
    assert check(repo, capsys) == (0, [])
    assert {path for path in generated_files(repo) if "beta" in path} == missing
    assert ingress_paths(repo) == {
        "/api/alphas": "alpha",
        "/admin/alphas": "alpha",
        "/api/betas": "beta",
        "/admin/betas": "beta",
        "/api": "alpha",
        "/admin": "alpha",
    }
    assert "SERVICES=(alpha beta)\n" in (repo / "k8s/make-dev-secrets").read_text()
    (dev,) = load(repo, "k8s/overlays/dev/kustomization.yaml")
    generators = {generator["name"]: generator["files"] for generator in dev["secretGenerator"]}
    assert generators["django-secrets"] == [
        "alpha-secret-key=secrets/alpha-secret-key",
        "beta-secret-key=secrets/beta-secret-key",
    ]
    assert generators["beta-postgres"] == ["password=secrets/beta-postgres-password"]


def test_only_the_signing_service_is_shown_the_private_key(repo):
    add_service_folder(repo, BETA)
    assert generate(repo) == 0

    def key_files(path: str) -> list[str]:
        (deployment,) = load(repo, path)
        pod = deployment["spec"]["template"]["spec"]
        (jwt,) = [volume for volume in pod["volumes"] if volume["name"] == "jwt-keys"]
        return [item["key"] for item in jwt["secret"]["items"]]

    for path in ("deployment.yaml", "worker-deployment.yaml", "beat-deployment.yaml"):
        assert key_files(f"k8s/base/alpha/{path}") == ["jwt-private.pem", "jwt-public.pem"]
    assert key_files("k8s/base/beta/deployment.yaml") == ["jwt-public.pem"]
    assert "JWT_PRIVATE_KEY_FILE" in (repo / "k8s/base/alpha/deployment.yaml").read_text()
    assert "JWT_PRIVATE_KEY" not in (repo / "k8s/base/beta/deployment.yaml").read_text()
    assert "JWT_PRIVATE_KEY=" in (repo / "alpha_service/Dockerfile").read_text()
    assert "JWT_PRIVATE_KEY" not in (repo / "beta_service/Dockerfile").read_text()


BETA_KEY = deploy_files.SecretSetting(
    "BETA_API_KEY", "beta-outside", dev_file="beta-outside-key", comment="Beta's outside account."
)
BETA_EXTRAS = {
    "beta": deploy_files.DeployExtras(
        secrets=(BETA_KEY,), dev_settings=(("BETA_PROCESSOR", "fake"),)
    )
}


def test_a_service_own_secret_goes_to_its_containers_alone_and_dev_settles_for_none(repo, capsys):
    """An outside account's key (DEPLOY_EXTRAS): every container of the service that needs it
    reads it from its Secret, no other service's; the dev overlay generates that Secret from a
    file make-dev-secrets leaves empty, and gives the service the settings that do without."""
    add_service_folder(repo, BETA)
    assert main(["--repo", str(repo)], services=REGISTRY, extras=BETA_EXTRAS) == 0

    def env_of(path: str) -> list[list[dict]]:
        (deployment,) = load(repo, path)
        pod = deployment["spec"]["template"]["spec"]
        return [c["env"] for c in (*pod.get("initContainers", []), *pod["containers"])]

    reference = {
        "name": "BETA_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "beta-outside", "key": "BETA_API_KEY"}},
    }
    beta_env = env_of("k8s/base/beta/deployment.yaml")
    assert len(beta_env) == 2, "migrate and web"
    assert all(reference in env for env in beta_env)
    for path in ("deployment.yaml", "worker-deployment.yaml", "beat-deployment.yaml"):
        assert "beta-outside" not in (repo / "k8s/base/alpha" / path).read_text(), path
    assert "# Beta's outside account.\n" in (repo / "k8s/base/beta/deployment.yaml").read_text()
    # Its production settings refuse to start without it, collectstatic's too.
    assert (
        "    BETA_API_KEY=collectstatic-only \\\n" in (repo / "beta_service/Dockerfile").read_text()
    )
    assert "BETA_API_KEY" not in (repo / "alpha_service/Dockerfile").read_text()

    (dev,) = load(repo, "k8s/overlays/dev/kustomization.yaml")
    generators = {generator["name"]: generator["files"] for generator in dev["secretGenerator"]}
    assert generators["beta-outside"] == ["BETA_API_KEY=secrets/beta-outside-key"]
    assert dev["configMapGenerator"] == [
        {"name": "ticketing-common", "behavior": "merge", "literals": ["BETA_PROCESSOR=fake"]}
    ]
    script = (repo / "k8s/make-dev-secrets").read_text()
    assert "OUTSIDE_SECRETS=(beta-outside-key)\n" in script
    assert check(repo, capsys, services=REGISTRY)[0] == 1, "the default extras name no beta"

    # Without extras, nothing of them is left.
    assert generate(repo) == 0
    assert "beta-outside" not in (repo / "k8s/base/beta/deployment.yaml").read_text()
    (dev,) = load(repo, "k8s/overlays/dev/kustomization.yaml")
    assert "configMapGenerator" not in dev
    assert "OUTSIDE_SECRETS=()\n" in (repo / "k8s/make-dev-secrets").read_text()


def containers_of(repo: Path, path: str) -> list[dict]:
    """The Deployment's containers, init containers first (YAML aliases resolved)."""
    (deployment,) = load(repo, path)
    pod = deployment["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def env_names(container: dict) -> list[str]:
    return [variable["name"] for variable in container["env"]]


def test_a_service_own_settings_reach_every_container_and_its_image_build(repo):
    """Settings of a service's own (DEPLOY_EXTRAS: the frontend's API addresses) are set in
    every container of it, under their comment, no other service's; its production settings
    refuse to start without them, so its image's collectstatic gets a placeholder for each."""
    add_service_folder(repo, BETA)
    extras = {
        "alpha": deploy_files.DeployExtras(
            settings=(
                deploy_files.PlainSetting(
                    "ALPHA_BETA_URL", "http://beta:8000", comment="Where alpha finds beta."
                ),
                deploy_files.PlainSetting("ALPHA_MODE", "cluster"),
            ),
        )
    }
    assert main(["--repo", str(repo)], services=REGISTRY, extras=extras) == 0

    for path in ("deployment.yaml", "worker-deployment.yaml", "beat-deployment.yaml"):
        for container in containers_of(repo, f"k8s/base/alpha/{path}"):
            settings = {v["name"]: v.get("value") for v in container["env"]}
            assert settings["ALPHA_BETA_URL"] == "http://beta:8000", (path, container["name"])
            assert settings["ALPHA_MODE"] == "cluster", (path, container["name"])
    text = (repo / "k8s/base/alpha/deployment.yaml").read_text()
    assert "# Where alpha finds beta.\n            - name: ALPHA_BETA_URL\n" in text
    assert "value: http://beta:8000\n            - name: ALPHA_MODE\n" in text, "no comment"
    assert "ALPHA_" not in (repo / "k8s/base/beta/deployment.yaml").read_text()
    dockerfile = (repo / "alpha_service/Dockerfile").read_text()
    assert "    ALPHA_BETA_URL=collectstatic-only \\\n    ALPHA_MODE=collectstatic-only \\\n" in (
        dockerfile
    )
    assert "ALPHA_" not in (repo / "beta_service/Dockerfile").read_text()


def test_the_frontend_finds_each_api_at_its_service_as_the_runner_tells_it_its_ports():
    """The cluster's FRONTEND_<NAME>_URL are the runner's (`frontend_backend_urls`), each at
    the API's Service and the port every pod listens on; its public address is the ingress's
    host, over HTTPS."""
    settings = {
        setting.variable: setting.value
        for setting in deploy_files.DEPLOY_EXTRAS["frontend"].settings
    }

    assert settings.pop("FRONTEND_BASE_URL") == "https://$(PUBLIC_HOST)"
    assert settings.keys() == frontend_backend_urls(SERVICES).keys()
    assert settings == {
        f"FRONTEND_{service.name.upper()}_URL": f"http://{service.name}:8000"
        for service in SERVICES
        if not service.is_catch_all
    }
    assert settings.keys() == {
        "FRONTEND_AUTH_URL",
        "FRONTEND_TICKETS_URL",
        "FRONTEND_ORDERS_URL",
        "FRONTEND_PAYMENTS_URL",
    }


def no_database_anything(repo: Path, name: str) -> list[str]:
    """The lines of a service's generated files that speak of a database: its own PostgreSQL,
    DATABASE_* settings, migrations, the label the production patches of those select by."""
    files = [repo / f"{name}_service/Dockerfile", *(repo / "k8s/base" / name).iterdir()]
    files += [repo / "k8s/overlays/dev/kustomization.yaml", repo / "k8s/make-dev-secrets"]
    words = re.compile(rf"{name}-postgres|DATABASE_|migrat|uses-database", re.IGNORECASE)
    found = []
    for path in files:
        text = path.read_text()
        if path.parent.name != name and path.name != "Dockerfile":
            # A shared file: only what names this service.
            text = "\n".join(line for line in text.splitlines() if name in line)
        found += [
            f"{path.name}: {line.strip()}" for line in text.splitlines() if words.search(line)
        ]
    return found


def test_a_service_that_keeps_no_data_gets_no_database_anything(repo, capsys):
    """No PostgreSQL, password or DATABASE_URL; no migrations to run first: the web container
    is alone in its pod and holds its settings itself."""
    add_service_folder(repo, FRONT)
    assert generate(repo) == 0

    assert {p for p in generated_files(repo) if "front" in p} == {
        *service_files("front", worker=False, database=False),
        "front_service/Dockerfile",
    }
    assert no_database_anything(repo, "front") == []
    [web] = containers_of(repo, "k8s/base/front/deployment.yaml")
    assert web["name"] == "web"
    assert env_names(web) == ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"]
    assert web["envFrom"] == [{"configMapRef": {"name": "ticketing-common"}}]
    assert web["securityContext"]["readOnlyRootFilesystem"] is True
    assert [mount["mountPath"] for mount in web["volumeMounts"]] == [
        "/var/run/secrets/ticketing/jwt",
        "/tmp",  # noqa: S108 (the pod's own emptyDir)
    ]
    (kustomization,) = load(repo, "k8s/base/front/kustomization.yaml")
    assert kustomization["resources"] == ["deployment.yaml", "service.yaml"]
    (dev,) = load(repo, "k8s/overlays/dev/kustomization.yaml")
    generators = {generator["name"]: generator["files"] for generator in dev["secretGenerator"]}
    assert "front-secret-key=secrets/front-secret-key" in generators["django-secrets"]
    assert "front-postgres" not in generators
    script = (repo / "k8s/make-dev-secrets").read_text()
    assert "SERVICES=(alpha front)\nSERVICES_WITH_DATABASE=(alpha)\n" in script

    # A service that keeps data still has all of it: the check above is looking at the right
    # things.
    assert len(no_database_anything(repo, "alpha")) > 10
    migrate, _ = containers_of(repo, "k8s/base/alpha/deployment.yaml")
    assert migrate["name"] == "migrate"
    assert "DATABASE_URL" in env_names(migrate)
    assert check(repo, capsys) == (0, [])


def test_a_worker_of_a_service_that_keeps_no_data_waits_for_no_migrations(repo):
    gamma = Service("gamma", "gammas", 9004, runs_worker=True, uses_database=False)
    add_service_folder(repo, gamma)
    assert generate(repo, services=(*REGISTRY, gamma)) == 0

    assert no_database_anything(repo, "gamma") == []
    for path in ("deployment.yaml", "worker-deployment.yaml", "beat-deployment.yaml"):
        [container] = containers_of(repo, f"k8s/base/gamma/{path}")
        assert env_names(container) == ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"], path
        assert container["volumeMounts"], path
    (worker,) = load(repo, "k8s/base/gamma/worker-deployment.yaml")
    assert "its database" not in (repo / "k8s/base/gamma/worker-deployment.yaml").read_text()
    assert worker["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    # alpha's worker, which has a database, still waits for its migrations.
    wait, worker_container = containers_of(repo, "k8s/base/alpha/worker-deployment.yaml")
    assert wait["name"] == "wait-for-migrations"
    assert wait["env"] == worker_container["env"]


def test_a_worker_and_a_single_beat_for_a_service_that_runs_them(repo):
    assert generate(repo) == 0
    (worker,) = load(repo, "k8s/base/alpha/worker-deployment.yaml")
    (beat,) = load(repo, "k8s/base/alpha/beat-deployment.yaml")
    assert worker["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
    assert beat["metadata"]["labels"]["app.kubernetes.io/component"] == "beat"
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    (worker_container,) = worker["spec"]["template"]["spec"]["containers"]
    assert worker_container["command"] == [
        *("celery", "-A", "config.celery_app", "worker", "-l", "INFO")
    ]
    (beat_container,) = beat["spec"]["template"]["spec"]["containers"]
    assert beat_container["command"][-2:] == ["-s", "/tmp/celerybeat-schedule"]  # noqa: S108
    (kustomization,) = load(repo, "k8s/base/alpha/kustomization.yaml")
    assert {"worker-deployment.yaml", "beat-deployment.yaml"} <= set(kustomization["resources"])


def test_files_no_longer_generated_are_listed_then_removed(repo, capsys):
    add_service_folder(repo, BETA)
    assert generate(repo) == 0
    alpha_without_worker = Service("alpha", "alphas", 9001, runs_worker=False, signs_tokens=True)
    smaller = (alpha_without_worker, FRONT)

    status, problems = check(repo, capsys, services=smaller)
    assert status == 1
    gone = {
        "beta_service/Dockerfile",
        "k8s/base/alpha/beat-deployment.yaml",
        "k8s/base/alpha/worker-deployment.yaml",
        *service_files("beta", worker=False),
    }
    assert [p for p in problems if p.startswith("no longer generated: ")] == [
        f"no longer generated: {path}" for path in sorted(gone)
    ]

    assert generate(repo, services=smaller) == 0
    assert check(repo, capsys, services=smaller) == (0, [])
    assert not (repo / "k8s/base/beta").exists()
    assert not (repo / "k8s/base/alpha/worker-deployment.yaml").exists()
    # The service's own folder is not the generator's: only its generated Dockerfile goes.
    assert (repo / "beta_service/manage.py").exists()
    assert (repo / "k8s/base/redis/statefulset.yaml").read_text() == REDIS_STATEFULSET


def test_check_lists_a_stale_file_and_changes_nothing(repo, capsys):
    assert generate(repo) == 0
    service = repo / "k8s/base/alpha/service.yaml"
    edited = service.read_text().replace("port: 8000", "port: 8080")
    service.write_text(edited)

    assert check(repo, capsys) == (
        1,
        [
            "stale: k8s/base/alpha/service.yaml",
            "the deployment files disagree with shared/ticketing_shared/registry.py: "
            "run `uv run ticketing-deploy-files`",
        ],
    )
    assert service.read_text() == edited
    assert generate(repo) == 0
    assert "port: 8000" in service.read_text()


def test_the_frontend_takes_what_no_other_path_claims(repo):
    add_service_folder(repo, FRONT)
    assert generate(repo) == 0
    paths = ingress_paths(repo)
    assert paths == {
        "/api/alphas": "alpha",
        "/admin/alphas": "alpha",
        "/api": "alpha",
        "/admin": "alpha",
        "/": "front",
    }


def test_the_dockerfile_copies_every_workspace_member_manifest_and_its_own_sources(repo):
    add_service_folder(repo, BETA)
    assert generate(repo) == 0
    dockerfile = (repo / "beta_service/Dockerfile").read_text()
    assert dockerfile.startswith(f"# syntax=docker/dockerfile:1\n# {GENERATED}\n")
    copies = [line for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert copies == [
        "COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv",
        "COPY pyproject.toml uv.lock ./",
        # The members in the root pyproject.toml's order, the glob expanded, front excluded.
        "COPY shared/pyproject.toml shared/",
        "COPY devtools/pyproject.toml devtools/",
        "COPY alpha_service/pyproject.toml alpha_service/",
        "COPY beta_service/pyproject.toml beta_service/",
        "COPY shared/ shared/",
        "COPY --from=build /app/.venv /app/.venv",
        "COPY beta_service/ /app/beta_service/",
    ]
    assert dockerfile.count("--package beta-service") == 2


def test_generated_yaml_is_yaml_and_starts_with_the_notice(repo):
    add_service_folder(repo, BETA)
    add_service_folder(repo, FRONT)
    assert generate(repo) == 0
    for path in generated_files(repo):
        text = (repo / path).read_text()
        if path.endswith(".yaml"):
            assert text.startswith(f"# {GENERATED}\n"), path
            assert load(repo, path), path
        assert "{{" not in text, f"{path}: a placeholder left"


def test_a_hand_written_file_without_its_block_is_refused(repo, capsys):
    (repo / "k8s/make-dev-secrets").write_text("#!/usr/bin/env bash\nSERVICES=(auth)\n")
    assert generate(repo) == 1
    error = capsys.readouterr().err
    assert "k8s/make-dev-secrets: no generated block" in error
    assert BLOCK_BEGIN in error
    assert not (repo / "k8s/base/alpha").exists(), "nothing is written when one file is refused"


def test_render_indents_a_value_of_several_lines_and_drops_an_empty_one():
    template = "top:\n  {{items}}\n  {{nothing}}\nname: {{name}}\n"
    assert deploy_files.render(template, items="- a\n- b", nothing="", name="x") == (
        "top:\n  - a\n  - b\nname: x\n"
    )
    with pytest.raises(ValueError, match="a line of its own"):
        deploy_files.render("name: {{name}}", name="a\nb")


def test_every_template_is_one_the_generator_renders():
    """A template left behind when its file is no longer generated would mislead its reader."""
    source = Path(deploy_files.__file__).read_text()
    templates = [path for path in deploy_files.TEMPLATES.iterdir() if path.name != "README.md"]
    loads = {
        *(("template", path.name) for path in templates if path.is_file()),
        # fragment("x") or fragments("x", ...), maybe with the name on a line of its own.
        *(("fragments?", path.name) for path in deploy_files.FRAGMENTS.iterdir()),
    }
    unused = [
        name
        for function, name in sorted(loads)
        if not re.search(rf'\b{function}\(\s*"{re.escape(name)}"', source)
    ]
    assert unused == []
