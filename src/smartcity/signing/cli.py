"""`smartcity pki ...`: the city PKI, signing and offline verification from the shell."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartcity.core.commands import cli_actor, command_database
from smartcity.core.db import Database
from smartcity.signing import service
from smartcity.signing.schemas import CertificateRead, VerificationReport

pki_app = typer.Typer(help="Chữ ký số — the city PKI, PAdES signing and verification.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
GROUPS = {"pki": pki_app}


@pki_app.command("init")
def init() -> None:
    """Create the city root CA, issuing CA and timestamp authority (keys sealed in the database)."""
    with command_database() as db:
        status = service.init_pki(db, actor=cli_actor())
    assert status.root is not None
    console.print(
        f"[green]City PKI created.[/green] Root: {status.root.subject} "
        f"(SHA-256 {status.root.fingerprint_sha256})"
    )


def _read_image(path: Path | None) -> bytes | None:
    return path.read_bytes() if path else None


def _full_name_of(db: Database, username: str) -> str | None:
    try:
        from smartcity.accounts.service import get_user_by_username
    except ImportError:
        return None
    user = get_user_by_username(db, username)
    return user.full_name if user and user.full_name else None


@pki_app.command("issue")
def issue(
    user: Annotated[str | None, typer.Option("--user", help="Username of an official")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Org unit code: the organisation's seal")] = None,
    device: Annotated[str | None, typer.Option("--device", help="Device id")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Full name / organisation name")] = None,
    org_unit: Annotated[str | None, typer.Option("--org-unit", help="Org unit of an official")] = None,
    image: Annotated[Path | None, typer.Option("--image", help="PNG: signature (official) or seal")] = None,
    csr: Annotated[Path | None, typer.Option("--csr", help="PEM CSR of a device")] = None,
    out_cert: Annotated[Path | None, typer.Option(help="Device: write the certificate (PEM) here")] = None,
    out_key: Annotated[
        Path | None, typer.Option(help="Device: generate a key, write it here (0600), keep no copy")
    ] = None,
    on_token: Annotated[
        bool, typer.Option("--pkcs11", help="Official: the key is on the PKCS#11 token (SMARTCITY_PKCS11_*)")
    ] = False,
    token_label: Annotated[str | None, typer.Option(help="With --pkcs11: the token's label")] = None,
    key_label: Annotated[
        str | None, typer.Option(help="With --pkcs11: the key pair's label (default smartcity-USER)")
    ] = None,
    generate: Annotated[bool, typer.Option(help="With --pkcs11: generate the key pair on the token")] = False,
    cert_on_token: Annotated[
        bool, typer.Option(help="With --pkcs11: also write the certificate to the token")
    ] = True,
) -> None:
    """Issue a certificate to an official (--user), an organisation (--org) or a device (--device)."""
    if sum(x is not None for x in (user, org, device)) != 1:
        err_console.print("Give exactly one of --user, --org, --device.")
        raise typer.Exit(2)
    if not on_token and (token_label or key_label or generate):
        err_console.print("--token-label, --key-label and --generate go with --pkcs11.")
        raise typer.Exit(2)
    if on_token:
        if not user:
            err_console.print("--pkcs11 goes with --user: only officials' keys live on a token.")
            raise typer.Exit(2)
        token_options = TokenOptions(token_label, key_label, generate, cert_on_token)
        _issue_on_token(user, name, org_unit, image, token_options)
        return
    if out_key is not None:
        if not device or csr or out_cert is None:
            err_console.print("--out-key goes with --device and --out-cert, without --csr.")
            raise typer.Exit(2)
        _issue_device_with_key(device, out_cert, out_key)
        return
    with command_database() as db:
        if user:
            full_name = name or _full_name_of(db, user) or user
            cert = service.issue_official_certificate(
                db,
                actor=cli_actor(),
                username=user,
                full_name=full_name,
                org_unit_code=org_unit,
                signature_png=_read_image(image),
            )
        elif org:
            cert = service.issue_organisation_certificate(
                db, actor=cli_actor(), org_unit_code=org, name=name or org, seal_png=_read_image(image)
            )
        else:
            cert = service.issue_device_certificate(
                db, actor=cli_actor(), device_id=device or "", csr_pem=csr.read_text() if csr else None
            )
    if out_cert is not None:
        out_cert.write_text(service.certificate_pem(db, cert.serial))
    _print_issued(cert)


@dataclass(frozen=True)
class TokenOptions:
    """Where an official's key is on the token and what to do there."""

    token_label: str | None
    key_label: str | None
    generate: bool
    cert_on_token: bool


def _issue_on_token(
    user: str, name: str | None, org_unit: str | None, image: Path | None, options: TokenOptions
) -> None:
    with command_database() as db:
        cert = service.issue_official_certificate_on_token(
            db,
            actor=cli_actor(),
            username=user,
            full_name=name or _full_name_of(db, user) or user,
            token_label=options.token_label,
            key_label=options.key_label,
            generate=options.generate,
            write_certificate=options.cert_on_token,
            org_unit_code=org_unit,
            signature_png=_read_image(image),
        )
    _print_issued(cert)
    console.print("The private key stays on the token; the platform keeps only its labels.")


def _print_issued(cert: CertificateRead) -> None:
    console.print(
        f"[green]Issued[/green] {cert.kind} certificate {cert.serial} to {cert.subject} "
        f"(valid until {cert.not_after:%Y-%m-%d})."
    )


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (0600 from creation, also when it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _write_issued(issued: service.IssuedWithKey, out_cert: Path, out_key: Path) -> None:
    write_private(out_key, issued.private_key_pem)
    out_cert.write_text(issued.certificate_pem)
    _print_issued(issued.certificate)
    console.print(f"Certificate written to {out_cert}, key to {out_key} (0600; no copy is kept).")


def _issue_device_with_key(device: str, out_cert: Path, out_key: Path) -> None:
    with command_database() as db:
        issued = service.issue_device_certificate_with_key(db, actor=cli_actor(), device_id=device)
    _write_issued(issued, out_cert, out_key)


@pki_app.command("issue-server")
def issue_server(
    out_cert: Annotated[Path, typer.Option(help="Where to write the certificate (PEM)")],
    out_key: Annotated[Path, typer.Option(help="Where to write the private key (PEM, 0600)")],
    dns: Annotated[list[str] | None, typer.Option("--dns", help="DNS name (repeatable)")] = None,
    ip: Annotated[list[str] | None, typer.Option("--ip", help="IP address (repeatable)")] = None,
) -> None:
    """Issue a TLS server certificate (e.g. for the MQTT broker) from the city's issuing CA."""
    with command_database() as db:
        issued = service.issue_server_certificate(
            db, actor=cli_actor(), dns_names=dns or [], ip_addresses=ip or []
        )
    _write_issued(issued, out_cert, out_key)


@pki_app.command("export-root")
def export_root(file: Annotated[Path, typer.Argument(help="Where to write the PEM")]) -> None:
    """Write the city root certificate (PEM) to FILE."""
    with command_database() as db:
        file.write_text(service.root_certificate_pem(db))
    console.print(f"Root certificate written to {file}")


@pki_app.command("sign")
def sign(
    source: Annotated[Path, typer.Argument(help="PDF to sign")],
    target: Annotated[Path, typer.Argument(help="Signed PDF to write")],
    as_user: Annotated[str | None, typer.Option("--as", help="Username of the signing official")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Apply this org unit's seal instead")] = None,
    level: Annotated[str, typer.Option("--level", help="B-B, B-T or B-LT")] = "B-T",
    appearance: Annotated[
        str, typer.Option("--appearance", help="visible, invisible or attachment")
    ] = "visible",
    number: Annotated[str | None, typer.Option(help="Document number (attachment stamp)")] = None,
    symbol: Annotated[str | None, typer.Option(help="Document symbol (attachment stamp)")] = None,
) -> None:
    """Sign IN.pdf into OUT.pdf as an official (--as) or with an organisation's seal (--org)."""
    with command_database() as db:
        signed = service.sign_pdf(
            db,
            actor=cli_actor(),
            pdf=source.read_bytes(),
            signer_username=as_user,
            org_unit_code=org,
            level=level.upper(),
            appearance_kind=appearance,
            document_number=number,
            document_symbol=symbol,
            filename=source.name,
        )
    target.write_bytes(signed.pdf)
    console.print(f"[green]Signed[/green] {target} ({level}); verify at {signed.verification_url}")


@pki_app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Argument(help="Serial number (hex)")],
    reason: Annotated[str, typer.Option(help="RFC 5280 reason, e.g. key_compromise")] = "unspecified",
) -> None:
    """Revoke a certificate: it can no longer sign; CRL and OCSP report it."""
    with command_database() as db:
        cert = service.revoke_certificate(db, actor=cli_actor(), serial=serial, reason=reason)
    console.print(f"[yellow]Revoked[/yellow] {cert.serial} ({cert.subject}) at {cert.revoked_at}.")


@pki_app.command("trust")
def trust(file: Annotated[Path, typer.Argument(help="External CA certificate, PEM or DER")]) -> None:
    """Register an external CA certificate as a trusted root for verification."""
    with command_database() as db:
        cert = service.register_trusted_root(db, actor=cli_actor(), certificate=file.read_bytes())
    console.print(f"Trusted {cert.subject} ({cert.fingerprint_sha256}).")


@pki_app.command("list")
def list_certificates(kind: Annotated[str | None, typer.Option(help="Only this kind")] = None) -> None:
    """List certificates."""
    table = Table("serial", "kind", "subject", "status", "not after")
    with command_database() as db:
        certificates = service.list_certificates(db, kind=kind)
    for cert in certificates:
        table.add_row(cert.serial, cert.kind, cert.subject, cert.status, f"{cert.not_after:%Y-%m-%d}")
    console.print(table)


@pki_app.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="PDF to check")]) -> None:
    """Check every signature of FILE; exit 1 when any does not hold (or there is none)."""
    with command_database() as db:
        report = service.verify_pdf(db, file.read_bytes())
    _print_report(report)
    if not report.all_hold:
        raise typer.Exit(1)


def _print_report(report: VerificationReport) -> None:
    if not report.signatures:
        console.print("[red]No signature in this document.[/red]")
        return
    for index, sig in enumerate(report.signatures, 1):
        verdict = "[green]HOLDS[/green]" if sig.holds else "[red]DOES NOT HOLD[/red]"
        when = sig.signing_time.isoformat(timespec="seconds") if sig.signing_time else "-"
        console.print(f"Signature {index} ({sig.field_name}): {verdict}", highlight=False)
        console.print(
            f"  signer: {sig.signer.subject}\n  chain: {' -> '.join(sig.chain) or '-'}\n"
            f"  time: {when} ({sig.signing_time_source}); revocation: {sig.revocation}; "
            f"level: {sig.level}; coverage: {sig.coverage}",
            highlight=False,
        )
        if sig.problems:
            console.print(f"  problems: {', '.join(sig.problems)}", highlight=False)
