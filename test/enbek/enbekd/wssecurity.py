"""Verification of the WS-Security signature of the SOAP body.

Every SendMessage must carry, as the only element of soap:Header, one
wsse:Security element whose only child is a ds:Signature over soap:Body:
1. soap:Body has a wsu:Id, and SignedInfo has exactly one Reference, whose
   URI is "#" followed by that id, so that the whole body is signed.
2. The algorithms are those of the document signature except the
   enveloped-signature transform: exclusive canonicalization as the only
   transform and as the canonicalization of SignedInfo, SHA-256 digest,
   RSA-SHA256.
3. KeyInfo holds X509Data with one end-entity certificate that is within its
   validity dates and chains to the test CA, as for the document signature.
4. xmlsec verifies the digest and the signature value with that key.

A request that fails any of these gets a soap:Client fault that says why.
"""
import xmlsec

from .model import SoapFault
from .signature import DSIG_NS, EXC_C14N, RSA_SHA256, SHA256, SignatureRejected, read_certificates

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"


def _ds(name):
    return f"{{{DSIG_NS}}}{name}"


def _children(element):
    return [child for child in element if isinstance(child.tag, str)]


def _reject(reason):
    raise SoapFault.client(f"the WS-Security signature of soap:Body is not valid: {reason}")


def find_body_signature(envelope):
    """Return (ds:Signature, soap:Body) of an envelope, raising a
    soap:Client fault unless the header has the required shape."""
    parts = _children(envelope)
    if not parts or parts[0].tag != f"{{{SOAP_NS}}}Header":
        _reject("soap:Header with wsse:Security is missing")
    header, body = parts[0], parts[1] if len(parts) > 1 else None
    if body is None or body.tag != f"{{{SOAP_NS}}}Body":
        _reject("soap:Body must follow soap:Header")
    blocks = _children(header)
    if [b.tag for b in blocks] != [f"{{{WSSE_NS}}}Security"]:
        _reject("soap:Header must contain exactly one wsse:Security element and nothing else")
    signatures = _children(blocks[0])
    if [s.tag for s in signatures] != [_ds("Signature")]:
        _reject("wsse:Security must contain exactly one ds:Signature")
    return signatures[0], body


def check_body_signature_shape(signature, body):
    """Raise a soap:Client fault unless the signature uses the required
    algorithms and references the whole soap:Body."""
    body_id = body.get(f"{{{WSU_NS}}}Id")
    if not body_id:
        _reject("soap:Body has no wsu:Id for the signature to reference")
    parts = _children(signature)
    if [p.tag for p in parts] != [_ds("SignedInfo"), _ds("SignatureValue"), _ds("KeyInfo")]:
        _reject("ds:Signature must contain SignedInfo, SignatureValue and KeyInfo, in this order")
    signed_info = _children(parts[0])
    if [e.tag for e in signed_info] != [_ds("CanonicalizationMethod"), _ds("SignatureMethod"), _ds("Reference")]:
        _reject("ds:SignedInfo must contain CanonicalizationMethod, SignatureMethod and exactly one Reference")
    if signed_info[0].get("Algorithm") != EXC_C14N:
        _reject(f"ds:CanonicalizationMethod must be {EXC_C14N}")
    if signed_info[1].get("Algorithm") != RSA_SHA256:
        _reject(f"ds:SignatureMethod must be {RSA_SHA256}")
    reference = signed_info[2]
    if reference.get("URI") != f"#{body_id}":
        _reject(f"ds:Reference URI is {reference.get('URI')!r}, not the id of soap:Body {'#' + body_id!r}")
    reference_parts = _children(reference)
    if [p.tag for p in reference_parts] != [_ds("Transforms"), _ds("DigestMethod"), _ds("DigestValue")]:
        _reject("ds:Reference must contain Transforms, DigestMethod and DigestValue")
    transforms = _children(reference_parts[0])
    if [t.get("Algorithm") for t in transforms] != [EXC_C14N]:
        _reject("ds:Transforms must contain exclusive canonicalization only")
    if reference_parts[1].get("Algorithm") != SHA256:
        _reject(f"ds:DigestMethod must be {SHA256}")


def verify_body_signature(envelope, verifier):
    """Verify the WS-Security signature of a parsed SOAP envelope.  verifier
    is the SignatureVerifier of the document signatures, whose trusted CA
    and clock apply here too.  Raise a soap:Client fault with the reason."""
    signature, body = find_body_signature(envelope)
    check_body_signature_shape(signature, body)
    try:
        certificates = read_certificates(signature)
        verifier.check_certificate(certificates[0], certificates[1:])
    except SignatureRejected as e:
        _reject(str(e))

    manager = xmlsec.KeysManager()
    manager.load_cert_from_memory(
        verifier.ca_pem, xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted
    )
    context = xmlsec.SignatureContext(manager)
    context.set_enabled_key_data([xmlsec.constants.KeyDataX509])
    for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformSha256):
        context.enable_reference_transform(transform)
    for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256):
        context.enable_signature_transform(transform)
    context.register_id(body, "Id", WSU_NS)
    try:
        context.verify(signature)
    except xmlsec.VerificationError:
        _reject("the digest or the signature value does not match: soap:Body was changed after signing")
    except xmlsec.Error as e:
        _reject(f"xmlsec cannot verify it: {e}")
