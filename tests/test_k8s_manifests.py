"""The Kubernetes manifests, skaffold.yaml and the service images' recipes, checked offline.

What is expected comes from the registry of services (shared/ticketing_shared/registry.py): the
services that exist (their folder has manage.py), their prefixes, images, databases, which ones
run a Celery worker and beat, which ones keep data (the frontend keeps none), and which one signs
tokens. `ticketing-deploy-files` writes the
files from the same registry; the first test fails when they are stale, the others check what
the files do, whoever wrote them.

Both overlays are rendered with `kubectl kustomize` (the dev one in a temporary copy of k8s/,
with throwaway secrets from k8s/make-dev-secrets, so that nothing is written into the
repository), every rendered resource is validated against the Kubernetes schemas, the YAML
is linted, and the properties the deployment relies on are asserted: routing (with the JSON
404 for unclaimed paths), probes, the private key staying with the service that signs tokens,
settings, workers and beats, data on persistent volumes (the databases' and the broker's queued
events), security contexts, secrets, images.

Run from the repository root: `uv run pytest tests -p no:django`. Needs kubectl (with its
built-in kustomize) and openssl on PATH.
"""

import ast
import base64
import copy
import itertools
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from kubernetes_validate.utils import SchemaNotFoundError, latest_version

from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME, Service

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "k8s"
SKAFFOLD = REPO / "skaffold.yaml"
YAMLLINT_CONFIG = K8S / ".yamllint"
MAKE_DEV_SECRETS = K8S / "make-dev-secrets"
OVERLAYS = ("dev", "production")


def exists(service: Service) -> bool:
    return (REPO / service.directory / "manage.py").is_file()


# The registry's services that exist so far: the ones deployed.
DEPLOYED = tuple(service for service in SERVICES if exists(service))
DEPLOYED_NAMES = {service.name for service in DEPLOYED}
WITH_WORKER = tuple(service for service in DEPLOYED if service.runs_worker)
# Those that keep data, each in a PostgreSQL of its own; the others have no database anything.
WITH_DATABASE = tuple(service for service in DEPLOYED if service.uses_database)
WITHOUT_DATABASE = tuple(service for service in DEPLOYED if not service.uses_database)
# The one service that signs tokens, and so the one allowed to read the private key.
SIGNING_SERVICE = next(service.name for service in SERVICES if service.signs_tokens)

JWT_SECRET = "jwt-keys"
PRIVATE_KEY = "jwt-private.pem"
PUBLIC_KEY = "jwt-public.pem"
JWT_DIR = "/var/run/secrets/ticketing/jwt"
APP_IMAGE_PREFIX = "ticketing/"
APP_PORT = 8000
PUBLIC_HOST = "ticketing.local"
COMPONENT = "app.kubernetes.io/component"
WORKER_COMMAND = ["celery", "-A", "config.celery_app", "worker", "-l", "INFO"]
BEAT_COMMAND = [
    *("celery", "-A", "config.celery_app", "beat", "-l", "INFO"),
    *("-s", "/tmp/celerybeat-schedule"),  # noqa: S108 (the pod's own emptyDir)
]


def gateway_path(prefix: str) -> str:
    """A registry prefix as an ingress Prefix path (which ignores a trailing slash)."""
    return prefix.rstrip("/") or "/"


# Contract section 1: each deployed service's prefixes, and (the frontend's `/` aside) nothing
# else but the two roots that catch the paths under /api/ and /admin/ that no service claims.
SERVICE_ROUTES = {
    gateway_path(prefix): service.name for service in DEPLOYED for prefix in service.prefixes
}
UNCLAIMED_ROOTS = ("/api", "/admin")
# A service's own Secrets beyond its Django key and database password: keys of outside
# accounts, which the operator creates in production and k8s/make-dev-secrets creates empty for
# the dev overlay. Secret: (the key, also the variable its pods read, its file in dev/secrets/).
OUTSIDE_SECRETS = {
    "payments": {"payments-stripe": ("STRIPE_SECRET_KEY", "payments-stripe-secret-key")},
    "frontend": {"frontend-stripe": ("STRIPE_PUBLISHABLE_KEY", "frontend-stripe-publishable-key")},
}
DEPLOYED_OUTSIDE_SECRETS = {
    secret: (service, key, file)
    for service, secrets in OUTSIDE_SECRETS.items()
    if service in DEPLOYED_NAMES
    for secret, (key, file) in secrets.items()
}
# What the production operator must create before the first deploy (k8s/README.md).
OPERATOR_SECRETS = {
    "jwt-keys",
    "django-secrets",
    "ticketing-tls",
    *(f"{service.name}-postgres" for service in WITH_DATABASE),
    *DEPLOYED_OUTSIDE_SECRETS,
}
# Every service's settings (shared/ticketing_shared/settings.py) read these in the cluster, and
# DATABASE_URL where the service keeps data.
REQUIRED_ENV = (
    "TICKETING_ENV",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "JWT_PUBLIC_KEY_FILE",
    "LOG_LEVEL",
    "TRUSTED_PROXY_COUNT",
)
K8S_VERSIONS = ("1.32", latest_version())
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# Workloads that serve until stopped, and so need probes (unlike a Job's pods).
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Redis fsync policies that bound the loss of acknowledged writes (to about a second for
# everysec); "no" leaves it to the kernel, typically 30 seconds.
BOUNDED_FSYNC_POLICIES = {"always", "everysec"}
PRIVATE_KEY_PATTERN = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
GENERATED_SECRET_FILES = (
    PRIVATE_KEY,
    PUBLIC_KEY,
    *(f"{service.name}-secret-key" for service in DEPLOYED),
    *(f"{service.name}-postgres-password" for service in WITH_DATABASE),
    *(file for _, _, file in DEPLOYED_OUTSIDE_SECRETS.values()),
)


# ---- rendering ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail(
            "kubectl is not on PATH: these tests render the manifests with `kubectl kustomize`. "
            "Install kubectl (v1.27 or newer, which bundles kustomize v5) and run them again.",
            pytrace=False,
        )
    return path


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, check=False, **kwargs
    )


def render(kubectl: str, directory: Path) -> list[dict]:
    result = run([kubectl, "kustomize", directory])
    if result.returncode != 0:
        pytest.fail(f"`kubectl kustomize {directory}` failed:\n{result.stderr}", pytrace=False)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def copy_k8s_tree(destination: Path) -> Path:
    """A copy of k8s/ without any local secrets, so that a test generates its own."""
    target = destination / "k8s"
    shutil.copytree(K8S, target, ignore=shutil.ignore_patterns("secrets"))
    return target


@pytest.fixture(scope="session")
def dev_k8s(tmp_path_factory) -> Path:
    """A copy of k8s/ whose dev overlay has throwaway secrets, made by the script itself."""
    k8s = copy_k8s_tree(tmp_path_factory.mktemp("dev"))
    # No argument: the script's default output directory, next to the copied overlay.
    result = run(["bash", k8s / "make-dev-secrets"])
    assert result.returncode == 0, result.stderr
    return k8s


@pytest.fixture(scope="session")
def rendered(kubectl, dev_k8s) -> dict[str, list[dict]]:
    return {
        "dev": render(kubectl, dev_k8s / "overlays" / "dev"),
        "production": render(kubectl, K8S / "overlays" / "production"),
    }


@pytest.fixture(params=OVERLAYS)
def overlay(request, rendered) -> tuple[str, list[dict]]:
    return request.param, rendered[request.param]


# ---- helpers -----------------------------------------------------------------------------------


def name_of(doc: dict) -> str:
    return doc["metadata"]["name"]


def label(doc: dict, key: str = "app.kubernetes.io/name") -> str | None:
    return (doc.get("metadata", {}).get("labels") or {}).get(key)


def of_kind(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def find(docs: list[dict], kind: str, name: str) -> dict:
    matches = [doc for doc in of_kind(docs, kind) if name_of(doc) == name]
    assert len(matches) == 1, f"expected one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def refers_to(reference: str, base_name: str) -> bool:
    """A reference to `base_name`, also after kustomize appended its content hash."""
    return (
        reference == base_name
        or re.fullmatch(re.escape(base_name) + r"-[a-z0-9]{10}", reference) is not None
    )


def pod_template(doc: dict) -> dict:
    if doc["kind"] == "Pod":
        return doc
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def workloads(docs: list[dict]) -> list[dict]:
    return [doc for doc in docs if doc["kind"] in WORKLOAD_KINDS]


def containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec.get("containers", [])]


def is_app_image(image: str) -> bool:
    return image.startswith(APP_IMAGE_PREFIX)


def app_workloads(docs: list[dict]) -> list[dict]:
    """The services' workloads (web, worker, beat): those running one of our images."""
    found = [
        doc
        for doc in workloads(docs)
        if any(is_app_image(c["image"]) for c in containers(pod_template(doc)["spec"]))
    ]
    assert found, "no workload runs a ticketing/ image"
    return found


def component(doc: dict) -> str | None:
    return label(doc, COMPONENT)


def deployments_of(docs: list[dict], kind_of_process: str) -> list[dict]:
    """The services' Deployments of one component: web, worker or beat."""
    return [
        doc
        for doc in of_kind(docs, "Deployment")
        if component(doc) == kind_of_process and doc in app_workloads(docs)
    ]


def web_deployments(docs: list[dict]) -> list[dict]:
    found = deployments_of(docs, "web")
    assert found, "no web Deployment runs a ticketing/ image"
    return found


def service_of(doc: dict) -> str:
    """The service a workload belongs to (its app.kubernetes.io/name label)."""
    service = label(doc)
    assert service, f"{doc['kind']} {name_of(doc)} has no app.kubernetes.io/name label"
    return service


def app_container(workload: dict) -> dict:
    """The one running (not init) container of the workload that runs our image."""
    matches = [c for c in pod_template(workload)["spec"]["containers"] if is_app_image(c["image"])]
    assert len(matches) == 1, f"{name_of(workload)}: expected one application container"
    return matches[0]


def app_containers(workload: dict) -> list[dict]:
    """Its containers running our image, init containers included."""
    return [c for c in containers(pod_template(workload)["spec"]) if is_app_image(c["image"])]


def selected_by(docs: list[dict], service: dict) -> list[dict]:
    selector = service["spec"].get("selector") or {}
    return [
        doc
        for doc in workloads(docs)
        if selector and selector.items() <= pod_template(doc)["metadata"]["labels"].items()
    ]


def container_port(pod_spec: dict, port) -> int | None:
    """The container port a Service targetPort or a probe port designates."""
    if isinstance(port, int):
        return port
    for container in pod_spec.get("containers", []):
        for declared in container.get("ports", []):
            if declared.get("name") == port:
                return declared["containerPort"]
    return None


def volatile_path_problem(workload: dict, container: dict, path: str) -> str | None:
    """Why `path` in the container would not survive its pod, or None if it sits on a
    PersistentVolumeClaim (a StatefulSet's claim template or a pod volume naming a claim)."""
    pod_spec = pod_template(workload)["spec"]
    where = f"{workload['kind']} {name_of(workload)}/{container['name']}: {path}"
    mounts = [
        mount
        for mount in container.get("volumeMounts", [])
        if path == mount["mountPath"] or path.startswith(mount["mountPath"].rstrip("/") + "/")
    ]
    if not mounts:
        return f"{where} is on the container's own filesystem"
    mount = max(mounts, key=lambda m: len(m["mountPath"]))
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    claims = (
        {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        if workload["kind"] == "StatefulSet"
        else set()
    )
    if mount["name"] in volumes:
        volume = volumes[mount["name"]]
        if "persistentVolumeClaim" in volume:
            return None
        kinds = sorted(set(volume) - {"name"})
        return f"{where} is on the {'/'.join(kinds)} volume {mount['name']!r}, lost with the pod"
    if mount["name"] in claims:
        retention = workload["spec"].get("persistentVolumeClaimRetentionPolicy", {})
        if "Delete" in retention.values():
            return f"{where}: the claim {mount['name']!r} is deleted with the StatefulSet"
        return None
    return f"{where}: no volume or claim template {mount['name']!r}"


def secret_placeholder(name: str, key: str) -> str:
    return f"<secret {name}/{key}>"


def resolve_env(container: dict, docs: list[dict]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, then env in order
    with `$(VAR)` expanded from what precedes it. Secret values become placeholders."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            config_map = find(docs, "ConfigMap", source["configMapRef"]["name"])
            env.update({prefix + k: str(v) for k, v in config_map.get("data", {}).items()})
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            for secret in of_kind(docs, "Secret"):
                if name_of(secret) == name:
                    env.update(
                        {prefix + k: secret_placeholder(name, k) for k in secret.get("data", {})}
                    )

    def expand(value: str) -> str:
        return re.sub(
            r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
            lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
            value,
        )

    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = expand(str(variable["value"]))
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secret_placeholder(ref["name"], ref["key"])
        elif "configMapKeyRef" in variable.get("valueFrom", {}):
            ref = variable["valueFrom"]["configMapKeyRef"]
            env[variable["name"]] = str(find(docs, "ConfigMap", ref["name"])["data"][ref["key"]])
        else:
            env[variable["name"]] = f"<field {variable['name']}>"
    return env


def secret_key_paths(volume: dict) -> dict[str, str] | None:
    """For a volume showing the JWT secret: the file path of each of its keys that it shows
    (None meaning all keys, under their own names). Empty if it does not show that secret."""
    sources = []
    if "secret" in volume:
        sources.append(volume["secret"] | {"name": volume["secret"].get("secretName", "")})
    for projected in volume.get("projected", {}).get("sources", []):
        if "secret" in projected:
            sources.append(projected["secret"])
    shown: dict[str, str] = {}
    for source in sources:
        if not refers_to(source.get("name", ""), JWT_SECRET):
            continue
        if "items" not in source:
            return None
        shown.update({item["key"]: item["path"] for item in source["items"]})
    return shown


def private_key_readers(pod_spec: dict) -> list[str]:
    """The containers of a pod that can read the JWT private key, whatever the means."""
    exposing = {}
    for volume in pod_spec.get("volumes", []):
        paths = secret_key_paths(volume)
        if paths is None:
            exposing[volume["name"]] = None  # every key, the private one included
        elif PRIVATE_KEY in paths:
            exposing[volume["name"]] = paths[PRIVATE_KEY]
    readers = []
    for container in containers(pod_spec):
        reads = False
        for mount in container.get("volumeMounts", []):
            if mount["name"] in exposing:
                sub_path = mount.get("subPath")
                private_path = exposing[mount["name"]] or PRIVATE_KEY
                reads |= sub_path is None or sub_path == private_path
        for source in container.get("envFrom", []):
            reads |= refers_to(source.get("secretRef", {}).get("name", ""), JWT_SECRET)
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef", {})
            reads |= refers_to(ref.get("name", ""), JWT_SECRET) and ref.get("key") == PRIVATE_KEY
        if reads:
            readers.append(container["name"])
    return readers


def mounted_secret_file(pod_spec: dict, container: dict, path: str) -> tuple[str, str] | None:
    """(secret name, key) of the secret file at `path` in the container, if it is one."""
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        prefix = mount["mountPath"].rstrip("/") + "/"
        if not path.startswith(prefix) or "subPath" in mount:
            continue
        secret = volumes[mount["name"]].get("secret")
        if not secret:
            continue
        relative = path[len(prefix) :]
        if "items" not in secret:
            return secret["secretName"], relative
        for item in secret["items"]:
            if item["path"] == relative:
                return secret["secretName"], item["key"]
    return None


# ---- the generated files agree with the registry ----------------------------------------------


def test_the_deployment_files_are_generated_from_the_current_registry():
    """A registry entry added, changed or removed without `uv run ticketing-deploy-files`
    leaves stale files, and this fails."""
    script = Path(sys.executable).with_name("ticketing-deploy-files")
    assert script.is_file(), "ticketing-deploy-files is not installed: uv sync --all-packages"
    result = run([script, "--check"], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_registry_has_one_deployed_signing_service():
    assert [service.name for service in SERVICES if service.signs_tokens] == [SIGNING_SERVICE]
    assert SIGNING_SERVICE in DEPLOYED_NAMES


def test_each_deployed_service_has_its_workloads_and_nothing_else_runs_our_images(overlay):
    _, docs = overlay
    for service in DEPLOYED:
        web = find(docs, "Deployment", service.name)
        assert component(web) == "web"
        assert app_container(web)["image"] == service.image
        assert find(docs, "Service", service.name)
        if service.uses_database:
            database = find(docs, "StatefulSet", f"{service.name}-postgres")
            assert component(database) == "database"
    databases = {name_of(doc) for doc in docs if component(doc) == "database"}
    assert databases == {f"{service.name}-postgres" for service in WITH_DATABASE}
    for service in WITHOUT_DATABASE:
        postgres = [doc for doc in docs if name_of(doc).startswith(f"{service.name}-postgres")]
        assert not postgres, f"{service.name} keeps no data: {[name_of(d) for d in postgres]}"
    for workload in app_workloads(docs):
        assert service_of(workload) in DEPLOYED_NAMES, name_of(workload)
        service = SERVICES_BY_NAME[service_of(workload)]
        assert {c["image"] for c in app_containers(workload)} == {service.image}


# ---- schema validation and lint ----------------------------------------------------------------


def test_kubectl_is_installed(kubectl):
    result = run([kubectl, "version", "--client"])
    assert result.returncode == 0, result.stderr
    assert "Kustomize Version: v5" in result.stdout, result.stdout


def schema_errors(docs: list[dict], version: str) -> list[str]:
    errors = []
    for doc in docs:
        what = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(part) for part in error.absolute_path)
            errors.append(f"{what} at {where or '.'}: {error.message}")
        except SchemaNotFoundError as error:
            group = doc["apiVersion"].rpartition("/")[0]
            # Custom resources have no built-in schema; everything else must have one.
            if "." not in group or group.endswith(".k8s.io"):
                errors.append(f"{what}: {error.message}")
    return errors


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_rendered_resource_is_valid(overlay, version):
    name, docs = overlay
    assert docs, f"the {name} overlay rendered nothing"
    errors = schema_errors(docs, version)
    assert not errors, f"{name} overlay, Kubernetes {version}:\n" + "\n".join(errors)


def test_schema_validation_is_strict(rendered):
    """A misspelt field must be caught, or the validation above proves little."""
    deployment = copy.deepcopy(web_deployments(rendered["production"])[0])
    app_container(deployment)["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": 8000}}
    assert schema_errors([deployment], latest_version())


def test_yamllint():
    assert YAMLLINT_CONFIG.is_file()
    result = run(
        [
            sys.executable,
            "-m",
            "yamllint",
            "--strict",
            "--format",
            "parsable",
            "--config-file",
            YAMLLINT_CONFIG,
            "k8s",
            "skaffold.yaml",
        ],
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_renders_without_any_secret(kubectl):
    docs = render(kubectl, K8S / "base")
    assert not of_kind(docs, "Secret")


# ---- routing -----------------------------------------------------------------------------------


def ingress_routes(docs: list[dict]) -> dict[str, tuple[str, int]]:
    """Each path of the one ingress with its backend (Service, port), checking on the way
    that it is ingress-nginx, for the public host, by prefix, without rewriting."""
    ingresses = of_kind(docs, "Ingress")
    assert len(ingresses) == 1
    spec = ingresses[0]["spec"]
    assert spec["ingressClassName"] == "nginx"
    annotations = ingresses[0]["metadata"].get("annotations") or {}
    assert "nginx.ingress.kubernetes.io/rewrite-target" not in annotations, (
        "the gateway must not rewrite paths"
    )
    routes = {}
    for rule in spec["rules"]:
        assert rule.get("host") in {None, PUBLIC_HOST}
        for path in rule["http"]["paths"]:
            assert path["pathType"] == "Prefix", path
            backend = path["backend"]["service"]
            assert path["path"] not in routes, f"{path['path']} routed twice"
            routes[path["path"]] = (backend["name"], backend["port"]["number"])
    return routes


def test_ingress_routes_each_deployed_service_at_exactly_its_prefixes(overlay):
    _, docs = overlay
    routes = ingress_routes(docs)
    claimed = {path: backend for path, backend in routes.items() if path not in UNCLAIMED_ROOTS}
    for service in DEPLOYED:
        paths = {path for path, (name, _) in claimed.items() if name == service.name}
        assert paths == {gateway_path(prefix) for prefix in service.prefixes}, service.name
    assert claimed == {path: (name, APP_PORT) for path, name in SERVICE_ROUTES.items()}


def test_unclaimed_api_and_admin_paths_go_to_a_django_service_not_the_frontend(overlay):
    """Contract section 1: the gateway answers them with a JSON 404. /api and /admin catch
    them because every service's prefix lies under one of them and the longest prefix wins."""
    _, docs = overlay
    routes = ingress_routes(docs)
    api_services = {service.name for service in DEPLOYED if not service.is_catch_all}
    for root in UNCLAIMED_ROOTS:
        assert root in routes, f"nothing catches the unclaimed paths under {root}/"
        assert routes[root] == (routes[UNCLAIMED_ROOTS[0]][0], APP_PORT)
        assert routes[root][0] in api_services, f"{root} goes to {routes[root][0]}"
    for path in SERVICE_ROUTES:
        if path != "/":
            assert any(path.startswith(f"{root}/") for root in UNCLAIMED_ROOTS), path


# Requests made with the Django test client inside the fallback service's folder, with the
# production behaviour of its error pages (DEBUG off); prints [path, method, status, type, body].
UNCLAIMED_REQUESTS_SCRIPT = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.test import Client
client = Client(HTTP_HOST=sys.argv[1])
answers = []
for path in sys.argv[2:]:
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        answers.append([path, method, response.status_code, response.get("Content-Type"),
                        response.content.decode()])
print(json.dumps(answers))
"""


def test_the_fallback_service_answers_unclaimed_paths_with_the_json_404(rendered, tmp_path):
    fallback = SERVICES_BY_NAME[ingress_routes(rendered["production"])[UNCLAIMED_ROOTS[0]][0]]
    not_built = [s.resource for s in SERVICES if s.resource and s.name not in DEPLOYED_NAMES]
    paths = [
        *UNCLAIMED_ROOTS,
        *(f"{root}/" for root in UNCLAIMED_ROOTS),
        "/api/nosuchresource/x",
        "/admin/nosuchresource/",
        *(f"/api/{resource}/x" for resource in not_built),
        *(f"/admin/{resource}/" for resource in not_built),
    ]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
        # No local runner's env file: only what is set here.
        "TICKETING_STATE_DIR": str(tmp_path),
    }
    result = run(
        [sys.executable, "-c", UNCLAIMED_REQUESTS_SCRIPT, PUBLIC_HOST, *paths],
        cwd=REPO / fallback.directory,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(answers) == 2 * len(paths)
    for path, method, status, content_type, body in answers:
        where = f"{method.upper()} {path} on {fallback.name}"
        assert status == 404, where
        assert content_type == "application/json", where
        assert json.loads(body) == {"errors": [{"message": "Not Found"}]}, where


def test_every_routed_service_reaches_its_web_container(overlay):
    _, docs = overlay
    for service_name, port in set(ingress_routes(docs).values()):
        service = find(docs, "Service", service_name)
        ports = [p for p in service["spec"]["ports"] if p["port"] == port]
        assert len(ports) == 1, f"Service {service_name} does not expose port {port}"
        selected = selected_by(docs, service)
        assert len(selected) == 1, f"Service {service_name} selects {len(selected)} workloads"
        assert selected[0] in web_deployments(docs)
        pod_spec = pod_template(selected[0])["spec"]
        target = ports[0].get("targetPort", port)
        assert container_port(pod_spec, target) == APP_PORT


# FRONTEND_<NAME>_URL of an API (FRONTEND_BASE_URL is the site's own address).
BACKEND_URL_VARIABLE = re.compile(r"FRONTEND_(?!BASE_)(?P<service>[A-Z]+)_URL")


def test_the_frontend_reads_each_api_at_that_services_web_pods(overlay):
    """The frontend's pages call the APIs server-side, at FRONTEND_<NAME>_URL (its production
    settings refuse to start without them): each is the Service of that API's web pods, on
    their port, by a host name that API's Django allows (any other gets a 400)."""
    _, docs = overlay
    frontends = [service for service in DEPLOYED if service.is_catch_all]
    assert frontends, "the frontend (the catch-all) is deployed"
    apis = {service.name for service in DEPLOYED if not service.is_catch_all}
    for frontend in frontends:
        mine = [w for w in app_workloads(docs) if service_of(w) == frontend.name]
        for container in (c for workload in mine for c in app_containers(workload)):
            env = resolve_env(container, docs)
            urls = {
                match["service"].lower(): urlsplit(value)
                for name, value in env.items()
                if (match := BACKEND_URL_VARIABLE.fullmatch(name))
            }
            assert urls.keys() == apis, f"{frontend.name}/{container['name']}: {sorted(urls)}"
            for api, url in urls.items():
                where = f"{frontend.name}/{container['name']}: FRONTEND_{api.upper()}_URL"
                assert url.scheme == "http", where
                assert url.path in {"", "/"}, f"{where}: the API's own paths are absolute"
                service = find(docs, "Service", url.hostname)
                ports = [p for p in service["spec"]["ports"] if p["port"] == (url.port or 80)]
                assert len(ports) == 1, f"{where}: Service {url.hostname} has no port {url.port}"
                [web] = selected_by(docs, service)
                assert web in web_deployments(docs), where
                assert service_of(web) == api, f"{where} reaches {service_of(web)}"
                target = ports[0].get("targetPort", ports[0]["port"])
                assert container_port(pod_template(web)["spec"], target) == APP_PORT, where
                allowed = resolve_env(app_container(web), docs)["DJANGO_ALLOWED_HOSTS"]
                assert url.hostname in allowed.split(","), f"{where}: {api} allows {allowed}"


def test_the_frontend_names_the_public_address_as_its_base_url(overlay):
    """Its canonical links and sitemap come from FRONTEND_BASE_URL (required in production),
    never from the Host a client sends: the ingress's host, over HTTPS."""
    _, docs = overlay
    frontends = [service for service in DEPLOYED if service.is_catch_all]
    assert frontends, "the frontend (the catch-all) is deployed"
    ingress_hosts = {rule.get("host") for rule in of_kind(docs, "Ingress")[0]["spec"]["rules"]}
    for workload in app_workloads(docs):
        if service_of(workload) not in {service.name for service in frontends}:
            continue
        for container in app_containers(workload):
            base_url = urlsplit(resolve_env(container, docs)["FRONTEND_BASE_URL"])
            where = f"{name_of(workload)}/{container['name']}: {base_url.geturl()}"
            assert base_url.scheme == "https", where
            assert base_url.hostname in ingress_hosts, where
            assert base_url.path in {"", "/"}, where


# ---- probes ------------------------------------------------------------------------------------


def test_every_long_running_workload_has_the_probes_it_can_have(overlay):
    """What listens has liveness and readiness probes; a worker, which listens on nothing,
    a liveness probe; beat none (see its manifest)."""
    _, docs = overlay
    long_running = [doc for doc in workloads(docs) if doc["kind"] in LONG_RUNNING_KINDS]
    # The services' web deployments, their databases and the broker.
    assert {"Deployment", "StatefulSet"} <= {doc["kind"] for doc in long_running}
    for workload in long_running:
        for container in pod_template(workload)["spec"]["containers"]:
            where = f"{workload['kind']} {name_of(workload)}/{container['name']}"
            if container.get("ports"):
                assert "livenessProbe" in container, where
                assert "readinessProbe" in container, where
            elif component(workload) == "worker":
                assert "livenessProbe" in container, where
            else:
                assert component(workload) == "beat", f"{where}: no port, no probe"


def test_service_probes_use_healthz_and_readyz_with_an_allowed_host(overlay):
    _, docs = overlay
    for deployment in web_deployments(docs):
        pod_spec = pod_template(deployment)["spec"]
        container = app_container(deployment)
        allowed_hosts = resolve_env(container, docs)["DJANGO_ALLOWED_HOSTS"].split(",")
        for probe_name, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            probe = container[probe_name]["httpGet"]
            assert probe["path"] == path, f"{name_of(deployment)} {probe_name}"
            assert container_port(pod_spec, probe["port"]) == APP_PORT
            headers = {h["name"].lower(): h["value"] for h in probe.get("httpHeaders", [])}
            # Kubernetes sends the pod IP as Host, which Django would refuse with a 400.
            assert headers.get("host") in allowed_hosts, f"{name_of(deployment)} {probe_name}"


# ---- workers and beats -------------------------------------------------------------------------


def test_every_service_with_a_worker_runs_one_worker_and_one_beat(overlay):
    _, docs = overlay
    for service in DEPLOYED:
        workers = [d for d in deployments_of(docs, "worker") if service_of(d) == service.name]
        beats = [d for d in deployments_of(docs, "beat") if service_of(d) == service.name]
        if not service.runs_worker:
            assert not workers, f"{service.name} runs no worker in the registry"
            assert not beats, f"{service.name} runs no beat in the registry"
            continue
        assert len(workers) == 1, f"{service.name}: {len(workers)} worker Deployments"
        assert len(beats) == 1, f"{service.name}: {len(beats)} beat Deployments"
        assert app_container(workers[0])["command"] == WORKER_COMMAND
        assert app_container(beats[0])["command"] == BEAT_COMMAND
    kinds = {component(workload) for workload in app_workloads(docs)}
    assert kinds == {"web", "worker", "beat"} if WITH_WORKER else {"web"}


def test_beat_runs_alone_even_during_a_rollout(overlay):
    """Two beats would send every periodic task twice."""
    _, docs = overlay
    beats = deployments_of(docs, "beat")
    assert len(beats) == len(WITH_WORKER)
    for beat in beats:
        assert beat["spec"]["replicas"] == 1, name_of(beat)
        assert beat["spec"]["strategy"] == {"type": "Recreate"}, name_of(beat)
    autoscaled = {
        autoscaler["spec"]["scaleTargetRef"]["name"]
        for autoscaler in of_kind(docs, "HorizontalPodAutoscaler")
    }
    assert not autoscaled & {name_of(beat) for beat in beats}


def test_workers_and_beats_listen_on_nothing(overlay):
    _, docs = overlay
    background = [*deployments_of(docs, "worker"), *deployments_of(docs, "beat")]
    for workload in background:
        for container in containers(pod_template(workload)["spec"]):
            assert "ports" not in container, f"{name_of(workload)}/{container['name']}"
        for service in of_kind(docs, "Service"):
            assert workload not in selected_by(docs, service), (name_of(service), name_of(workload))


def test_workers_and_beats_run_with_their_web_configuration(overlay):
    """The same settings, secrets, mounts and security as the service's web containers."""
    _, docs = overlay
    for workload in [*deployments_of(docs, "worker"), *deployments_of(docs, "beat")]:
        web = find(docs, "Deployment", service_of(workload))
        web_pod, pod = pod_template(web)["spec"], pod_template(workload)["spec"]
        assert pod["volumes"] == web_pod["volumes"], name_of(workload)
        assert pod["securityContext"] == web_pod["securityContext"], name_of(workload)
        for key in ("automountServiceAccountToken", "enableServiceLinks"):
            assert pod.get(key) is False, f"{name_of(workload)}: {key}"
        expected_env = resolve_env(app_container(web), docs)
        for container in app_containers(workload):
            where = f"{name_of(workload)}/{container['name']}"
            assert resolve_env(container, docs) == expected_env, where
            assert container["volumeMounts"] == app_container(web)["volumeMounts"], where
            assert container["securityContext"] == app_container(web)["securityContext"], where


def test_a_new_worker_waits_for_the_migrations(overlay):
    """The web pods' init container migrates; a worker started on the old schema would fail
    its events until then and use up their retries."""
    _, docs = overlay
    for worker in deployments_of(docs, "worker"):
        init = pod_template(worker)["spec"].get("initContainers", [])
        assert [c["name"] for c in init] == ["wait-for-migrations"], name_of(worker)
        script = " ".join(init[0]["command"])
        assert "python manage.py migrate --check" in script, script
        assert re.search(r"\buntil\b.*\bsleep\b", script), f"{script}: waits by retrying"
        assert init[0]["image"] == app_container(worker)["image"]


def test_a_worker_liveness_probe_pings_that_worker(overlay):
    """Celery names a worker celery@<hostname> (the pod's name) unless told otherwise."""
    _, docs = overlay
    for worker in deployments_of(docs, "worker"):
        container = app_container(worker)
        assert not {"-n", "--hostname"} & set(container["command"]), name_of(worker)
        probe = " ".join(container["livenessProbe"]["exec"]["command"])
        assert "celery -A config.celery_app inspect ping" in probe, probe
        assert '-d "celery@$HOSTNAME"' in probe, probe
        assert container["livenessProbe"]["timeoutSeconds"] > 10, "longer than the ping's own"


# ---- the private key ---------------------------------------------------------------------------


def test_no_other_service_can_read_the_private_key(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        if service_of(workload) == SIGNING_SERVICE:
            continue
        readers = private_key_readers(pod_template(workload)["spec"])
        assert not readers, (
            f"{workload['kind']} {name_of(workload)}: containers {readers} can read the JWT "
            "private key; mount jwt-keys with items: [jwt-public.pem] only"
        )


def test_the_signing_service_reads_the_private_key(overlay):
    """Every container of the signing service sees the key (its production settings refuse to
    start without it), so the check above is looking at the right thing."""
    _, docs = overlay
    signing = [w for w in app_workloads(docs) if service_of(w) == SIGNING_SERVICE]
    assert {component(workload) for workload in signing} >= {"web"}
    for workload in signing:
        names = {container["name"] for container in app_containers(workload)}
        assert set(private_key_readers(pod_template(workload)["spec"])) == names


def test_the_private_key_check_catches_a_leak(rendered):
    """A copy of the signing service's deployment under another service's name is flagged;
    showing it the public key alone is not."""
    tickets = copy.deepcopy(find(rendered["dev"], "Deployment", SIGNING_SERVICE))
    tickets["metadata"]["labels"]["app.kubernetes.io/name"] = "tickets"
    pod_spec = pod_template(tickets)["spec"]
    assert private_key_readers(pod_spec)
    for volume in pod_spec["volumes"]:
        if "secret" in volume:
            volume["secret"]["items"] = [{"key": PUBLIC_KEY, "path": PUBLIC_KEY}]
    assert not private_key_readers(pod_spec)
    del pod_spec["volumes"][0]["secret"]["items"]
    assert private_key_readers(pod_spec)


def jwt_key_files(pod_spec: dict) -> dict[str, str] | None:
    """The keys of the JWT secret the pod's volumes show, with their file paths (None: every
    key, under its own name)."""
    shown: dict[str, str] = {}
    for volume in pod_spec.get("volumes", []):
        paths = secret_key_paths(volume)
        if paths is None:
            return None
        shown |= paths
    return shown


def test_services_that_only_verify_tokens_see_the_public_key_alone(overlay):
    """Every deployed service but the signer (tickets first): each of its processes (web,
    migrations, worker, beat) verifies with the public key file and has no way to the private
    key. The check above covers all workloads; this one fails if a verifying service has no
    workload for it to look at, or sees more of the secret than the public key."""
    _, docs = overlay
    verifying = [service for service in DEPLOYED if not service.signs_tokens]
    for service in verifying:
        mine = [w for w in app_workloads(docs) if service_of(w) == service.name]
        expected = {"web", "worker", "beat"} if service.runs_worker else {"web"}
        assert {component(workload) for workload in mine} == expected, service.name
        for workload in mine:
            pod_spec = pod_template(workload)["spec"]
            assert jwt_key_files(pod_spec) == {PUBLIC_KEY: PUBLIC_KEY}, name_of(workload)
            assert not private_key_readers(pod_spec), name_of(workload)
            for container in app_containers(workload):
                where = f"{name_of(workload)}/{container['name']}"
                env = resolve_env(container, docs)
                assert not {"JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE"} & env.keys(), where
                mounted = mounted_secret_file(pod_spec, container, env["JWT_PUBLIC_KEY_FILE"])
                assert mounted, f"{where}: no public key at {env['JWT_PUBLIC_KEY_FILE']}"
                assert refers_to(mounted[0], JWT_SECRET), where
                assert mounted[1] == PUBLIC_KEY, where


# Operations of django.contrib.postgres that create a PostgreSQL extension, and which one.
EXTENSION_OPERATIONS = {
    "BloomExtension": "bloom",
    "BtreeGinExtension": "btree_gin",
    "BtreeGistExtension": "btree_gist",
    "CITextExtension": "citext",
    "CryptoExtension": "pgcrypto",
    "HStoreExtension": "hstore",
    "TrigramExtension": "pg_trgm",
    "UnaccentExtension": "unaccent",
}


def extensions_created_by_migrations(service: Service) -> set[str]:
    """The extensions the service's own migrations create (`TrigramExtension()`,
    `CreateExtension("name")`, ...), read from their source."""
    found = set()
    for path in (REPO / service.directory).glob("*/migrations/[0-9]*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if name in EXTENSION_OPERATIONS:
                found.add(EXTENSION_OPERATIONS[name])
            elif name == "CreateExtension":
                argument = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "name"), None)
                )
                assert isinstance(argument, ast.Constant), f"{path}: CreateExtension of what?"
                found.add(argument.value)
    return found


def test_each_database_can_create_the_extensions_its_migrations_need(overlay):
    """Tickets' first migration creates pg_trgm (its title search's index), as the user of
    DATABASE_URL, which is the database's POSTGRES_USER (test_every_service_uses_its_own_database):
    the official postgres image makes that user the bootstrap superuser and the owner of
    POSTGRES_DB, and it ships the contrib extensions, pg_trgm among them. Another image may not."""
    _, docs = overlay
    needs = {service.name: extensions_created_by_migrations(service) for service in DEPLOYED}
    # Not vacuous: the reader finds what tickets' migrations create.
    if "tickets" in DEPLOYED_NAMES:
        assert "pg_trgm" in needs["tickets"], needs
    for service in DEPLOYED:
        if needs[service.name]:
            database = find(docs, "StatefulSet", f"{service.name}-postgres")
            image = pod_template(database)["spec"]["containers"][0]["image"]
            assert re.fullmatch(r"postgres:\d+(\.\d+)?(-alpine)?", image), (
                f"{service.name}'s migrations create {sorted(needs[service.name])}: {image} is "
                "not the official postgres image, which ships them"
            )


# ---- settings ----------------------------------------------------------------------------------


def test_every_service_process_gets_its_settings(overlay):
    _, docs = overlay
    ingress_hosts = {rule.get("host") for rule in of_kind(docs, "Ingress")[0]["spec"]["rules"]}
    for workload in app_workloads(docs):
        service = service_of(workload)
        pod_spec = pod_template(workload)["spec"]
        for container in app_containers(workload):
            env = resolve_env(container, docs)
            where = f"{name_of(workload)}/{container['name']}"

            keeps_data = SERVICES_BY_NAME[service].uses_database
            required = (*REQUIRED_ENV, "DATABASE_URL") if keeps_data else REQUIRED_ENV
            missing = [name for name in required if name not in env]
            assert not missing, f"{where}: missing {missing}"
            if not keeps_data:
                database_env = [name for name in env if name.startswith("DATABASE_")]
                assert not database_env, f"{where} keeps no data: {database_env}"
            unexpanded = {k: v for k, v in env.items() if "$(" in v}
            assert not unexpanded, f"{where}: unresolved references {unexpanded}"

            assert env["TICKETING_ENV"] == "production"
            assert env["REDIS_URL"] == "redis://redis:6379/1"
            assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
            assert env["TRUSTED_PROXY_COUNT"] == "1"
            assert re.fullmatch(
                rf"<secret django-secrets(-[a-z0-9]{{10}})?/{service}-secret-key>",
                env["DJANGO_SECRET_KEY"],
            ), f"{where}: DJANGO_SECRET_KEY must come from the django-secrets Secret"

            allowed = env["DJANGO_ALLOWED_HOSTS"].split(",")
            assert "*" not in allowed, f"{where}: {allowed}"
            assert "" not in allowed, f"{where}: {allowed}"
            assert ingress_hosts <= set(allowed), f"{where}: {allowed} misses {ingress_hosts}"
            for origin in env["CSRF_TRUSTED_ORIGINS"].split(","):
                scheme, _, host = origin.partition("://")
                assert scheme == "https", origin
                assert host in ingress_hosts, origin

            for variable in ("JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE"):
                if variable not in env:
                    continue
                mounted = mounted_secret_file(pod_spec, container, env[variable])
                assert mounted, f"{where}: {variable}={env[variable]} is not a mounted secret file"
                assert refers_to(mounted[0], JWT_SECRET)
            assert env["JWT_PUBLIC_KEY_FILE"] == f"{JWT_DIR}/{PUBLIC_KEY}"
            if service == SIGNING_SERVICE:
                assert env["JWT_PRIVATE_KEY_FILE"] == f"{JWT_DIR}/{PRIVATE_KEY}"
            else:
                assert "JWT_PRIVATE_KEY_FILE" not in env


def test_every_service_uses_its_own_database(overlay):
    _, docs = overlay
    checked = set()
    for deployment in web_deployments(docs):
        service = SERVICES_BY_NAME[service_of(deployment)]
        if not service.uses_database:
            continue
        checked.add(service.name)
        env = resolve_env(app_container(deployment), docs)
        match = re.fullmatch(
            r"postgres://(?P<user>[^:]+):(?P<password><secret [^>]+>)"
            r"@(?P<host>[^:/]+):5432/(?P<db>\w+)",
            env["DATABASE_URL"],
        )
        assert match, f"{name_of(deployment)}: DATABASE_URL={env['DATABASE_URL']}"
        assert match["host"] == f"{service.name}-postgres"
        assert match["db"] == service.database

        database = find(docs, "StatefulSet", f"{service.name}-postgres")
        db_env = resolve_env(pod_template(database)["spec"]["containers"][0], docs)
        assert db_env["POSTGRES_USER"] == match["user"]
        assert db_env["POSTGRES_DB"] == match["db"]
        assert db_env["POSTGRES_PASSWORD"] == match["password"]
        assert re.fullmatch(
            rf"<secret {service.name}-postgres(-[a-z0-9]{{10}})?/password>", match["password"]
        )
        postgres = pod_template(database)["spec"]["containers"][0]
        assert db_env["PGDATA"].startswith("/")
        assert volatile_path_problem(database, postgres, db_env["PGDATA"]) is None
        db_service = find(docs, "Service", f"{service.name}-postgres")
        assert [p["port"] for p in db_service["spec"]["ports"]] == [5432]
        assert db_service["spec"]["selector"].items() <= (
            pod_template(database)["metadata"]["labels"].items()
        )
    assert checked == {service.name for service in WITH_DATABASE}


def test_migrations_run_first_with_the_same_settings(overlay):
    """Where the service keeps data; a service that keeps none has nothing to migrate, nor to
    wait for (and no init container patched in by an overlay, which would have no image)."""
    _, docs = overlay
    for deployment in web_deployments(docs):
        pod_spec = pod_template(deployment)["spec"]
        web = app_container(deployment)
        if not SERVICES_BY_NAME[service_of(deployment)].uses_database:
            assert not pod_spec.get("initContainers"), name_of(deployment)
            continue
        migrate = [c for c in pod_spec.get("initContainers", []) if c["name"] == "migrate"]
        assert len(migrate) == 1, f"{name_of(deployment)}: no migrate init container"
        assert migrate[0]["command"] == ["python", "manage.py", "migrate", "--noinput"]
        assert migrate[0]["image"] == web["image"]
        assert resolve_env(migrate[0], docs) == resolve_env(web, docs)
        assert migrate[0]["volumeMounts"] == web["volumeMounts"]


# ---- the broker --------------------------------------------------------------------------------


def broker(docs: list[dict]) -> tuple[dict, dict]:
    """(workload, container) behind the host and port of every service's CELERY_BROKER_URL."""
    urls = {
        resolve_env(container, docs)["CELERY_BROKER_URL"]
        for workload in app_workloads(docs)
        for container in app_containers(workload)
    }
    assert len(urls) == 1, f"the services use different brokers: {urls}"
    url = urlsplit(urls.pop())
    assert url.scheme == "redis", url
    service = find(docs, "Service", url.hostname)
    ports = [p for p in service["spec"]["ports"] if p["port"] == (url.port or 6379)]
    assert len(ports) == 1, f"Service {url.hostname} does not expose port {url.port}"
    selected = selected_by(docs, service)
    assert len(selected) == 1, f"Service {url.hostname} selects {len(selected)} workloads"
    pod_spec = pod_template(selected[0])["spec"]
    target = container_port(pod_spec, ports[0].get("targetPort", ports[0]["port"]))
    serving = [
        c
        for c in pod_spec["containers"]
        if target in {p["containerPort"] for p in c.get("ports", [])}
    ]
    assert len(serving) == 1, f"no container of {name_of(selected[0])} listens on {target}"
    return selected[0], serving[0]


def redis_options(container: dict) -> dict[str, list[str]]:
    """The `--name value...` options redis-server is started with (the redis image's
    entrypoint runs redis-server for arguments that start with `--`)."""
    argv = [*container.get("command", []), *container.get("args", [])]
    if "redis-server" in argv:
        argv = argv[argv.index("redis-server") + 1 :]
    assert not argv or argv[0].startswith("--"), (
        f"{container['name']}: redis-server reads a configuration file ({argv[0]}); "
        "these checks only understand command-line options"
    )
    options: dict[str, list[str]] = {}
    for token in argv:
        if token.startswith("--"):
            name = token[2:].lower()
            options[name] = []
        else:
            options[name].append(token)
    return options


def broker_durability_problems(workload: dict, container: dict) -> list[str]:
    """Why messages queued in the broker could be lost with its pod (empty if they cannot,
    beyond the second or so that appendfsync everysec allows on a crash)."""
    problems = []
    options = redis_options(container)
    if options.get("appendonly") != ["yes"]:
        problems.append(f"append-only is off ({options.get('appendonly')}): pass --appendonly yes")
    fsync = options.get("appendfsync", ["everysec"])
    if fsync[0] not in BOUNDED_FSYNC_POLICIES:
        problems.append(f"--appendfsync {fsync[0]}: use one of {sorted(BOUNDED_FSYNC_POLICIES)}")
    if "dir" not in options:
        problems.append("no --dir: the data directory is wherever the image starts Redis")
    else:
        problem = volatile_path_problem(workload, container, options["dir"][0])
        if problem:
            problems.append(problem)
    return problems


def test_the_broker_keeps_its_queues_on_a_persistent_volume(overlay):
    """The outbox marks an event sent once Redis has taken it: a message lost with the Redis
    pod is an event lost for good."""
    _, docs = overlay
    workload, container = broker(docs)
    assert broker_durability_problems(workload, container) == []
    assert workload["kind"] == "StatefulSet", f"{workload['kind']} {name_of(workload)}"
    assert workload["spec"]["replicas"] == 1, "a second replica is a second, unrelated broker"
    assert workload["spec"]["serviceName"] == "redis"
    options = redis_options(container)
    assert options["appendonly"] == ["yes"]
    assert options["appendfsync"] == ["everysec"]
    claims = {t["metadata"]["name"]: t for t in workload["spec"]["volumeClaimTemplates"]}
    assert claims["data"]["spec"]["resources"]["requests"]["storage"]


def test_the_broker_check_catches_a_volatile_queue(rendered):
    """What Redis ran with before (append-only file on an emptyDir) is flagged, and so is
    each other way of losing the queue."""
    workload, container = broker(rendered["dev"])
    assert broker_durability_problems(workload, container) == []

    def flagged(change) -> list[str]:
        changed = copy.deepcopy(workload)
        changed_container = next(
            c for c in pod_template(changed)["spec"]["containers"] if c["name"] == container["name"]
        )
        change(changed, changed_container)
        return broker_durability_problems(changed, changed_container)

    def on_empty_dir(statefulset: dict, _container: dict) -> None:
        statefulset["kind"] = "Deployment"
        del statefulset["spec"]["volumeClaimTemplates"]
        pod_template(statefulset)["spec"]["volumes"].append({"name": "data", "emptyDir": {}})

    def set_option(name: str, value: str | None):
        def change(_workload: dict, redis: dict) -> None:
            argv = redis["args"]
            index = argv.index(f"--{name}")
            if value is None:
                del argv[index : index + 2]
            else:
                argv[index + 1] = value

        return change

    def delete_claims(statefulset: dict, _container: dict) -> None:
        statefulset["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete"}

    def unmount(_workload: dict, redis: dict) -> None:
        redis["volumeMounts"] = [m for m in redis["volumeMounts"] if m["name"] != "data"]

    assert any("emptyDir" in problem for problem in flagged(on_empty_dir))
    assert any("append-only" in problem for problem in flagged(set_option("appendonly", "no")))
    assert any("append-only" in problem for problem in flagged(set_option("appendonly", None)))
    assert any("appendfsync" in problem for problem in flagged(set_option("appendfsync", "no")))
    assert any("--dir" in problem for problem in flagged(set_option("dir", None)))
    assert any("deleted" in problem for problem in flagged(delete_claims))
    assert any("own filesystem" in problem for problem in flagged(unmount))


# ---- security ----------------------------------------------------------------------------------


def test_every_container_names_its_image(overlay):
    """The schemas let a container leave out its image; a patch that matches a container by
    name adds one, imageless, to a pod that has none of that name."""
    _, docs = overlay
    for workload in workloads(docs):
        for container in containers(pod_template(workload)["spec"]):
            assert container.get("image"), f"{name_of(workload)}/{container['name']}: no image"


def test_every_container_is_locked_down(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        pod_spec = pod_template(workload)["spec"]
        pod_security = pod_spec.get("securityContext", {})
        assert pod_spec.get("automountServiceAccountToken") is False, name_of(workload)
        for container in containers(pod_spec):
            where = f"{name_of(workload)}/{container['name']}"
            security = container.get("securityContext", {})
            run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
            run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
            assert run_as_non_root is True, where
            assert run_as_user != 0, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("privileged") is not True, where
            assert "ALL" in security.get("capabilities", {}).get("drop", []), where


def test_app_containers_have_a_writable_tmp(overlay):
    """Where gunicorn's and Celery's files go (beat's schedule among them) on a read-only
    root filesystem."""
    _, docs = overlay
    for workload in app_workloads(docs):
        pod_spec = pod_template(workload)["spec"]
        volumes = {volume["name"]: volume for volume in pod_spec["volumes"]}
        for container in containers(pod_spec):
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108
            assert len(tmp) == 1, f"{name_of(workload)}/{container['name']}"
            assert "emptyDir" in volumes[tmp[0]["name"]]


# ---- overlays ----------------------------------------------------------------------------------


def referenced_secrets(docs: list[dict]) -> dict[str, set[str] | None]:
    """Each Secret the workloads and ingresses name, with the keys they read (None: all)."""
    refs: dict[str, set[str] | None] = {}

    def add(name: str, keys: set[str] | None) -> None:
        known = refs.get(name, set())
        refs[name] = None if keys is None or known is None else known | keys

    for workload in workloads(docs):
        pod_spec = pod_template(workload)["spec"]
        for volume in pod_spec.get("volumes", []):
            if "secret" in volume:
                items = volume["secret"].get("items")
                add(volume["secret"]["secretName"], {i["key"] for i in items} if items else None)
        for container in containers(pod_spec):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    add(source["secretRef"]["name"], None)
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    add(ref["name"], {ref["key"]})
    for ingress in of_kind(docs, "Ingress"):
        for tls in ingress["spec"].get("tls", []):
            add(tls["secretName"], {"tls.crt", "tls.key"})
    return refs


def secret_base_name(secret: dict) -> str:
    """A generated Secret's name without the content hash kustomize appends."""
    return re.sub(r"-[a-z0-9]{10}$", "", name_of(secret))


def test_dev_secrets_are_generated_with_every_key_used(rendered):
    docs = rendered["dev"]
    secrets = {name_of(secret): secret for secret in of_kind(docs, "Secret")}
    for name, keys in referenced_secrets(docs).items():
        assert name in secrets, f"the dev overlay does not generate the Secret {name}"
        assert keys is None or keys <= secrets[name]["data"].keys(), (name, keys)


def test_dev_overlay_generates_each_deployed_service_its_secrets(rendered):
    generated = of_kind(rendered["dev"], "Secret")
    secrets = {secret_base_name(secret): set(secret["data"]) for secret in generated}
    assert secrets == {
        "jwt-keys": {PRIVATE_KEY, PUBLIC_KEY},
        "django-secrets": {f"{service.name}-secret-key" for service in DEPLOYED},
        **{f"{service.name}-postgres": {"password"} for service in WITH_DATABASE},
        **{secret: {key} for secret, (_, key, _) in DEPLOYED_OUTSIDE_SECRETS.items()},
    }


def test_an_outside_account_key_reaches_its_own_service_alone(overlay):
    """Every process of its service reads it from its Secret (their settings refuse to start
    without it in production); no other service's workload names that Secret at all."""
    _, docs = overlay
    assert DEPLOYED_OUTSIDE_SECRETS or "payments" not in DEPLOYED_NAMES
    for secret, (owner, key, _) in DEPLOYED_OUTSIDE_SECRETS.items():
        seen = set()
        for workload in app_workloads(docs):
            service = service_of(workload)
            if service != owner:
                assert not any(
                    refers_to(name, secret) for name in referenced_secrets([workload])
                ), f"{name_of(workload)} ({service}) names {secret}"
                continue
            for container in app_containers(workload):
                env = resolve_env(container, docs)
                where = f"{name_of(workload)}/{container['name']}"
                assert re.fullmatch(
                    rf"<secret {secret}(-[a-z0-9]{{10}})?/{key}>", env.get(key, "")
                ), f"{where}: {key} must come from the Secret {secret}"
                seen.add(component(workload))
        expected = {"web", "worker", "beat"} if SERVICES_BY_NAME[owner].runs_worker else {"web"}
        assert seen == expected, (secret, seen)


def settings_env(container: dict, docs: list[dict], jwt_dir: Path) -> dict[str, str]:
    """The container's environment with what the cluster would put in place of its secrets:
    a generated Secret's own value (the dev overlay's), a stand-in for an operator's; the JWT
    key files from `jwt_dir`, and the static folder its image sets."""
    generated = {name_of(secret): secret.get("data", {}) for secret in of_kind(docs, "Secret")}

    def secret_value(match: re.Match) -> str:
        if match[1] in generated:
            return base64.b64decode(generated[match[1]][match[2]]).decode()
        return "operator0secret"

    env = {
        name: re.sub(r"<secret ([^/>]+)/([^>]+)>", secret_value, value)
        for name, value in resolve_env(container, docs).items()
    }
    for variable in ("JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE"):
        if variable in env:
            env[variable] = str(jwt_dir / Path(env[variable]).name)
    return env | {"DJANGO_STATIC_ROOT": "/app/staticfiles", "PATH": os.environ["PATH"]}


def test_every_service_starts_with_the_environment_of_each_of_its_containers(overlay, dev_k8s):
    """Each service's own settings, loaded with what the cluster gives each of its containers
    (its web, init, worker and beat ones): production settings refuse to start without what
    the service needs, the frontend the addresses of the APIs, payments a card processor's key,
    auth the private key."""
    name, docs = overlay
    jwt_dir = dev_k8s / "overlays" / "dev" / "secrets"
    started: dict[str, set[frozenset]] = {}
    for workload in app_workloads(docs):
        service = SERVICES_BY_NAME[service_of(workload)]
        for container in app_containers(workload):
            env = settings_env(container, docs, jwt_dir)
            seen = started.setdefault(service.name, set())
            # The containers of a service mostly share one environment: each is loaded once.
            if frozenset(env.items()) in seen:
                continue
            result = run(
                [sys.executable, "-c", "import config.settings"],
                cwd=REPO / service.directory,
                env=env,
            )
            where = f"{name}: {name_of(workload)}/{container['name']}"
            assert result.returncode == 0, f"{where}: the settings refuse to start\n{result.stderr}"
            seen.add(frozenset(env.items()))
    assert started.keys() == DEPLOYED_NAMES


def test_payments_starts_in_each_overlay_with_its_processor(overlay, dev_k8s):
    """Payments' own settings, loaded with each of its containers' environment: production
    charges through Stripe with the operator's key; the dev overlay, with no Stripe key (its
    file is empty), through the built-in test processor, allowed there by name."""
    name, docs = overlay
    expected = {"dev": "test", "production": "stripe"}[name]
    jwt_dir = dev_k8s / "overlays" / "dev" / "secrets"
    program = "import config.settings as s; print(s.PAYMENTS_PROCESSOR, repr(s.STRIPE_SECRET_KEY))"
    checked = 0
    for workload in app_workloads(docs):
        if service_of(workload) != "payments":
            continue
        for container in app_containers(workload):
            where = f"{name}: {name_of(workload)}/{container['name']}"
            result = run(
                [sys.executable, "-c", program],
                cwd=REPO / SERVICES_BY_NAME["payments"].directory,
                env=settings_env(container, docs, jwt_dir),
            )
            assert result.returncode == 0, f"{where}: the settings refuse to start\n{result.stderr}"
            processor, key = result.stdout.split(maxsplit=1)
            assert processor == expected, where
            if expected == "stripe":
                assert key.strip() != "''", where
            checked += 1
    assert checked == 5, "web, migrate, worker, wait-for-migrations and beat"


def test_the_pay_page_takes_cards_as_payments_charges_them_in_each_overlay(overlay, dev_k8s):
    """The frontend's settings, loaded with its container's environment: Stripe Elements with
    the operator's publishable key in production, where payments charges through Stripe; the
    test processor's test cards in the dev overlay (its key's file is empty), where payments
    runs that processor."""
    name, docs = overlay
    jwt_dir = dev_k8s / "overlays" / "dev" / "secrets"
    program = "import config.settings as s; print(repr(s.FRONTEND_STRIPE_PUBLISHABLE_KEY))"
    keys = set()
    checked = 0
    for workload in app_workloads(docs):
        if service_of(workload) != "frontend":
            continue
        for container in app_containers(workload):
            result = run(
                [sys.executable, "-c", program],
                cwd=REPO / SERVICES_BY_NAME["frontend"].directory,
                env=settings_env(container, docs, jwt_dir),
            )
            assert result.returncode == 0, result.stderr
            keys.add(result.stdout.strip())
            checked += 1
    assert checked == 1, "the frontend's web container, its only one"
    assert keys == {"''"} if name == "dev" else keys == {"'operator0secret'"}


def test_dev_ingress_has_no_tls_section(rendered):
    # ingress-nginx still answers HTTPS with its default certificate in development.
    assert "tls" not in of_kind(rendered["dev"], "Ingress")[0]["spec"]


def test_production_expects_the_operator_secrets(rendered):
    docs = rendered["production"]
    assert not of_kind(docs, "Secret"), "production must not carry secrets"
    assert set(referenced_secrets(docs)) == OPERATOR_SECRETS


def test_production_ingress_serves_tls_for_every_host(rendered):
    ingress = of_kind(rendered["production"], "Ingress")[0]
    tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
    rule_hosts = {rule.get("host") for rule in ingress["spec"]["rules"]}
    assert None not in rule_hosts, "TLS needs a host on every rule"
    assert rule_hosts <= tls_hosts


def test_production_runs_two_replicas_with_resources(rendered):
    """Two web pods and two workers per service, one beat; requests and a memory limit for
    every container (the patches select workloads by label: this catches a kind they miss)."""
    docs = rendered["production"]
    expected_replicas = {"web": 2, "worker": 2, "beat": 1}
    for deployment in of_kind(docs, "Deployment"):
        if deployment in app_workloads(docs):
            replicas = expected_replicas[component(deployment)]
            assert deployment["spec"]["replicas"] == replicas, name_of(deployment)
    for workload in workloads(docs):
        for container in containers(pod_template(workload)["spec"]):
            where = f"{name_of(workload)}/{container['name']}"
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= resources.get("requests", {}).keys(), where
            assert "memory" in resources.get("limits", {}), where


def storage_bytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti)?", quantity)
    assert match, f"unexpected storage quantity {quantity}"
    return int(match[1]) * 1024 ** ("", "Ki", "Mi", "Gi", "Ti").index(match[2] or "")


def test_production_enlarges_every_volume(rendered):
    """Sized before the first deploy: a StatefulSet's claim templates cannot change later."""

    def sizes(docs: list[dict]) -> dict[tuple[str, str], int]:
        return {
            (name_of(statefulset), template["metadata"]["name"]): storage_bytes(
                template["spec"]["resources"]["requests"]["storage"]
            )
            for statefulset in of_kind(docs, "StatefulSet")
            for template in statefulset["spec"].get("volumeClaimTemplates", [])
        }

    dev, production = sizes(rendered["dev"]), sizes(rendered["production"])
    assert ("redis", "data") in production
    assert dev.keys() == production.keys()
    for claim, size in production.items():
        assert size > dev[claim], f"{claim}: {size} bytes in production, {dev[claim]} in dev"


def test_dev_runs_one_replica(rendered):
    for deployment in app_workloads(rendered["dev"]):
        assert deployment["spec"]["replicas"] == 1, name_of(deployment)


# ---- secrets stay out of the repository --------------------------------------------------------


def deployment_files() -> list[Path]:
    files = [SKAFFOLD]
    for path in sorted(K8S.rglob("*")):
        relative = path.relative_to(K8S).parts
        # The git-ignored local secrets of an overlay (k8s/overlays/<name>/secrets/).
        if relative[:1] == ("overlays",) and len(relative) > 2 and relative[2] == "secrets":
            continue
        if path.is_file():
            files.append(path)
    return files


def test_no_secret_is_committed_with_the_deployment_files():
    files = deployment_files()
    assert len(files) > 10
    for path in files:
        content = path.read_bytes()
        assert not PRIVATE_KEY_PATTERN.search(content), f"{path} contains a private key"
        assert b"sk_live" not in content, f"{path} contains a live Stripe key"


def test_local_secrets_are_git_ignored():
    if shutil.which("git") is None or run(["git", "rev-parse"], cwd=REPO).returncode != 0:
        pytest.skip("not a git work tree")
    for overlay_name in OVERLAYS:
        path = f"k8s/overlays/{overlay_name}/secrets/{PRIVATE_KEY}"
        assert run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0, path


# ---- k8s/make-dev-secrets ----------------------------------------------------------------------


def test_make_dev_secrets_writes_a_matching_key_pair_and_random_values(tmp_path):
    """For the key pair and each deployed service, and nothing else."""
    out = tmp_path / "secrets"
    first = run(["bash", MAKE_DEV_SECRETS, out])
    assert first.returncode == 0, first.stderr
    assert sorted(path.name for path in out.iterdir()) == sorted(GENERATED_SECRET_FILES)
    for name in GENERATED_SECRET_FILES:
        assert f"created  {out / name}" in first.stdout
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name

    private_key = serialization.load_pem_private_key((out / PRIVATE_KEY).read_bytes(), None)
    public_key = serialization.load_pem_public_key((out / PUBLIC_KEY).read_bytes())
    assert private_key.key_size == 2048
    assert private_key.public_key().public_numbers() == public_key.public_numbers()

    for service in WITH_DATABASE:
        password = (out / f"{service.name}-postgres-password").read_text()
        assert re.fullmatch(r"[0-9a-f]{32,}", password), "hex, without a newline"
    for service in DEPLOYED:
        secret_key = (out / f"{service.name}-secret-key").read_text()
        assert len(secret_key) >= 50
        assert not re.search(r"\s", secret_key)
    # An outside account's key cannot be made: its file is there, empty, for the developer.
    outside_files = [file for _, _, file in DEPLOYED_OUTSIDE_SECRETS.values()]
    for name in outside_files:
        assert (out / name).read_bytes() == b"", name

    # A second run keeps everything.
    before = {name: (out / name).read_bytes() for name in GENERATED_SECRET_FILES}
    second = run(["bash", MAKE_DEV_SECRETS, out])
    assert second.returncode == 0, second.stderr
    for name in GENERATED_SECRET_FILES:
        assert f"kept     {out / name}" in second.stdout
    assert before == {name: (out / name).read_bytes() for name in GENERATED_SECRET_FILES}

    # A key the developer put into an outside account's file is kept too.
    for name in outside_files:
        (out / name).write_text("sk_test_mine")
    assert run(["bash", MAKE_DEV_SECRETS, out]).returncode == 0
    for name in outside_files:
        assert (out / name).read_text() == "sk_test_mine", name

    # Two runs elsewhere make different secrets.
    other = tmp_path / "other"
    assert run(["bash", MAKE_DEV_SECRETS, other]).returncode == 0
    for name in GENERATED_SECRET_FILES:
        if name not in outside_files:
            assert (other / name).read_bytes() != before[name], name


def test_make_dev_secrets_completes_a_pair_and_refuses_an_orphan_public_key(tmp_path):
    out = tmp_path / "secrets"
    assert run(["bash", MAKE_DEV_SECRETS, out]).returncode == 0
    (out / PUBLIC_KEY).unlink()
    assert run(["bash", MAKE_DEV_SECRETS, out]).returncode == 0
    private_key = serialization.load_pem_private_key((out / PRIVATE_KEY).read_bytes(), None)
    public_key = serialization.load_pem_public_key((out / PUBLIC_KEY).read_bytes())
    assert private_key.public_key().public_numbers() == public_key.public_numbers()

    (out / PRIVATE_KEY).unlink()
    result = run(["bash", MAKE_DEV_SECRETS, out])
    assert result.returncode != 0
    assert "without its private key" in result.stderr
    assert not (out / PRIVATE_KEY).exists()


def test_make_dev_secrets_is_executable():
    assert os.access(MAKE_DEV_SECRETS, os.X_OK)
    assert MAKE_DEV_SECRETS.read_text().startswith("#!/usr/bin/env bash\n")


# ---- skaffold.yaml and the images --------------------------------------------------------------


@pytest.fixture(scope="module")
def skaffold() -> dict:
    return yaml.safe_load(SKAFFOLD.read_text())


def test_skaffold_builds_every_service_image_and_renders_the_dev_overlay(skaffold, rendered):
    assert re.fullmatch(r"skaffold/v4beta\d+", skaffold["apiVersion"])
    assert skaffold["kind"] == "Config"
    assert skaffold["build"]["local"]["push"] is False
    artifacts = skaffold["build"]["artifacts"]
    assert {artifact["image"]: artifact["docker"]["dockerfile"] for artifact in artifacts} == {
        service.image: f"{service.directory}/Dockerfile" for service in DEPLOYED
    }
    deployed = {
        container["image"]
        for workload in workloads(rendered["dev"])
        for container in containers(pod_template(workload)["spec"])
        if is_app_image(container["image"])
    }
    assert {artifact["image"] for artifact in artifacts} == deployed
    for artifact in artifacts:
        assert artifact["context"] == "."
        assert (REPO / artifact["docker"]["dockerfile"]).is_file()
    assert skaffold["manifests"]["kustomize"]["paths"] == ["k8s/overlays/dev"]
    assert "kubectl" in skaffold["deploy"]


def test_skaffold_generates_the_dev_secrets_before_rendering(skaffold):
    hooks = skaffold["manifests"]["hooks"]["before"]
    commands = [hook["host"]["command"] for hook in hooks]
    assert ["bash", "k8s/make-dev-secrets"] in commands
    assert all(hook["host"].get("dir", ".") == "." for hook in hooks)


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


@pytest.fixture(scope="module")
def dockerfiles(skaffold) -> dict[str, Path]:
    return {
        artifact["image"]: REPO / artifact["context"] / artifact["docker"]["dockerfile"]
        for artifact in skaffold["build"]["artifacts"]
    }


def copy_sources(path: Path) -> list[str]:
    """The sources of the Dockerfile's COPY instructions from the build context."""
    sources = []
    for keyword, arguments in dockerfile_instructions(path):
        if keyword == "COPY" and "--from=" not in arguments:
            sources += [arg for arg in shlex.split(arguments) if not arg.startswith("--")][:-1]
    return sources


def workspace_members() -> list[str]:
    with (REPO / "pyproject.toml").open("rb") as file:
        workspace = tomllib.load(file)["tool"]["uv"]["workspace"]
    members = []
    for pattern in workspace["members"]:
        if any(character in pattern for character in "*?["):
            members += sorted(p.parent.name for p in REPO.glob(f"{pattern}/pyproject.toml"))
        else:
            members.append(pattern)
    return [member for member in members if member not in workspace.get("exclude", [])]


def test_each_dockerfile_copies_the_workspace_manifests_and_only_its_own_sources():
    """uv needs every workspace member's pyproject.toml to use the lock; of the sources, an
    image holds the shared package and its own service only."""
    members = workspace_members()
    assert "shared" in members
    for service in DEPLOYED:
        path = REPO / service.directory / "Dockerfile"
        sources = copy_sources(path)
        manifests = [
            source.removesuffix("/pyproject.toml")
            for source in sources
            if source.endswith("/pyproject.toml")
        ]
        assert manifests == members, f"{path}: copies the pyproject.toml of {manifests}"
        folders = {source.rstrip("/") for source in sources if source.endswith("/")}
        assert folders == {"shared", service.directory}, f"{path}: copies {folders}"
        syncs = [a for k, a in dockerfile_instructions(path) if k == "RUN" and "uv sync" in a]
        assert syncs, path
        for sync in syncs:
            assert f"--package {service.package}" in sync, f"{path}: {sync}"


def test_dockerfiles_copy_only_what_exists(dockerfiles):
    for path in dockerfiles.values():
        for keyword, arguments in dockerfile_instructions(path):
            if keyword != "COPY" or "--from=" in arguments:
                continue
            sources = [arg for arg in shlex.split(arguments) if not arg.startswith("--")][:-1]
            for source in sources:
                assert (REPO / source).exists(), f"{path}: COPY {source}: no such path"


def test_dockerfiles_run_the_deployed_command_as_a_non_root_user(dockerfiles, rendered):
    for image, path in dockerfiles.items():
        instructions = dockerfile_instructions(path)
        froms = [arguments for keyword, arguments in instructions if keyword == "FROM"]
        args = dict(
            arguments.split("=", 1)
            for keyword, arguments in instructions
            if keyword == "ARG" and "=" in arguments
        )
        base = froms[-1].split()[0]
        for arg_name, default in args.items():
            base = base.replace(f"${{{arg_name}}}", default)
        assert base == "python:3.11-slim", f"{path}: runtime stage is {base}"
        users = [arguments for keyword, arguments in instructions if keyword == "USER"]
        assert users, f"{path}: no USER"
        assert users[-1].split(":")[0] not in {"0", "root"}, path
        assert any(
            keyword == "RUN" and "uv sync --frozen --no-dev" in arguments
            for keyword, arguments in instructions
        ), path
        cmd = [arguments for keyword, arguments in instructions if keyword == "CMD"][-1]
        for deployment in web_deployments(rendered["dev"]):
            container = app_container(deployment)
            if container["image"] == image:
                assert yaml.safe_load(cmd) == container["command"], path


def test_images_name_the_static_files_folder_production_settings_require(dockerfiles):
    """Production settings refuse to start without DJANGO_STATIC_ROOT; collectstatic fills it
    at build time and WhiteNoise serves from it."""
    for path in dockerfiles.values():
        instructions = dockerfile_instructions(path)
        envs = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
        assert "DJANGO_STATIC_ROOT=" in envs, f"{path}: no DJANGO_STATIC_ROOT in ENV"
        assert any(
            keyword == "RUN" and "collectstatic" in arguments for keyword, arguments in instructions
        ), path


def collectstatic_step(path: Path) -> tuple[dict[str, str], list[str], str]:
    """The image's collectstatic RUN: (the variables it sets for the command, the command,
    the WORKDIR it runs in)."""
    instructions = dockerfile_instructions(path)
    [step] = [
        arguments
        for keyword, arguments in instructions
        if keyword == "RUN" and ("collectstatic" in arguments)
    ]
    workdir = [arguments for keyword, arguments in instructions if keyword == "WORKDIR"][-1]
    words = shlex.split(step)
    assignments = list(itertools.takewhile(lambda word: re.match(r"\w+=", word), words))
    variables = dict(assignment.split("=", 1) for assignment in assignments)
    return variables, words[len(assignments) :], workdir


def test_each_image_collects_its_static_files_with_the_placeholders_it_gives(dockerfiles, tmp_path):
    """The image's collectstatic loads the production settings, which refuse to start without
    the secrets and settings the cluster gives the service: the RUN step gives a placeholder
    for each (payments' Stripe key, the frontend's API addresses, ...). Run here with exactly
    what it sets, in the service's folder (no image build needed). The images side by side:
    each compresses its files, a few seconds."""
    collecting = {}
    for image, path in dockerfiles.items():
        variables, command, workdir = collectstatic_step(path)
        assert command[:2] == ["python", "manage.py"], f"{path}: {command}"
        assert workdir == f"/app/{path.parent.name}", f"{path}: WORKDIR {workdir}"
        static_root = tmp_path / path.parent.name
        env = {
            "PATH": os.environ["PATH"],
            **variables,
            # The image's ENV sets DJANGO_STATIC_ROOT (test_images_name_the_static_files_...).
            "DJANGO_STATIC_ROOT": str(static_root),
        }
        process = subprocess.Popen(
            [sys.executable, *command[1:]],
            cwd=path.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        collecting[image] = (process, static_root)
    for image, (process, static_root) in collecting.items():
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, f"{image}: collectstatic fails\n{errors[-3000:]}"
        assert any(static_root.iterdir()), f"{image}: nothing collected"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    patterns = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"k8s", "**/.venv", "**/.git", ".local", "**/__pycache__"} <= patterns
