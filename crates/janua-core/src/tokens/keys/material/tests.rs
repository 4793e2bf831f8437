//! Tests of key material: the RFC 7638 vector, JWK shapes, PEM import and export round trips.

use aws_lc_rs::encoding::{AsDer, EcPrivateKeyRfc5915Der, PublicKeyX509Der};

use super::*;

fn pem_of(tag: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(tag, der.to_vec()))
}

/// The SPKI PEM of a generated key's public half, as an operator would hold it.
fn public_pem(key: &PrivateKey) -> String {
    let der: Vec<u8> = match key.algorithm() {
        SigningAlgorithm::Rs256 => {
            let pair = RsaKeyPair::from_pkcs8(key.pkcs8()).unwrap();
            let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
            spki.as_ref().to_vec()
        }
        SigningAlgorithm::Es256 => {
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8()).unwrap();
            let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
            spki.as_ref().to_vec()
        }
        SigningAlgorithm::EdDsa => {
            let pair = Ed25519KeyPair::from_pkcs8(key.pkcs8()).unwrap();
            let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
            spki.as_ref().to_vec()
        }
    };
    pem_of("PUBLIC KEY", &der)
}

#[test]
fn rsa_thumbprint_matches_the_rfc_7638_example() {
    // RFC 7638 §3.1.
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let key = PublicKey::Rsa {
        n: URL_SAFE_NO_PAD.decode(n).unwrap(),
        e: URL_SAFE_NO_PAD.decode("AQAB").unwrap(),
    };
    assert_eq!(
        key.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn ec_and_okp_thumbprints_hash_their_canonical_members() {
    let ec = PublicKey::Ec {
        x: vec![1; 32],
        y: vec![2; 32],
    };
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        b64(&[1; 32]),
        b64(&[2; 32])
    );
    assert_eq!(ec.thumbprint(), b64(&Sha256::digest(canonical.as_bytes())));
    let ed = PublicKey::Ed { x: vec![3; 32] };
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(&[3; 32]));
    assert_eq!(ed.thumbprint(), b64(&Sha256::digest(canonical.as_bytes())));
}

fn member_names(jwk: &Value) -> Vec<String> {
    let mut names: Vec<String> = jwk.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

#[test]
fn generated_keys_publish_exactly_the_public_jwk_members() {
    let expected = [
        (
            SigningAlgorithm::Rs256,
            vec!["alg", "e", "kid", "kty", "n", "use"],
            "RSA",
        ),
        (
            SigningAlgorithm::Es256,
            vec!["alg", "crv", "kid", "kty", "use", "x", "y"],
            "EC",
        ),
        (
            SigningAlgorithm::EdDsa,
            vec!["alg", "crv", "kid", "kty", "use", "x"],
            "OKP",
        ),
    ];
    for (alg, members, kty) in expected {
        let public = PrivateKey::generate(alg).unwrap().public_key().unwrap();
        let jwk = public.jwk("kid-1");
        assert_eq!(member_names(&jwk), members, "{alg}");
        assert_eq!(jwk["kty"], kty);
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], alg.as_str());
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), public, "{alg}");
    }
}

#[test]
fn generated_keys_have_the_expected_sizes() {
    let PublicKey::Rsa { n, e } = PrivateKey::generate(SigningAlgorithm::Rs256)
        .unwrap()
        .public_key()
        .unwrap()
    else {
        panic!("not RSA");
    };
    assert_eq!(n.len(), 256);
    assert_eq!(e, vec![1, 0, 1]);
    let PublicKey::Ec { x, y } = PrivateKey::generate(SigningAlgorithm::Es256)
        .unwrap()
        .public_key()
        .unwrap()
    else {
        panic!("not EC");
    };
    assert_eq!((x.len(), y.len()), (32, 32));
    let PublicKey::Ed { x } = PrivateKey::generate(SigningAlgorithm::EdDsa)
        .unwrap()
        .public_key()
        .unwrap()
    else {
        panic!("not OKP");
    };
    assert_eq!(x.len(), 32);
}

#[test]
fn pkcs8_pem_private_keys_import_for_every_algorithm() {
    for alg in SigningAlgorithm::ALL {
        let key = PrivateKey::generate(alg).unwrap();
        let imported = PrivateKey::from_pem(alg, &pem_of("PRIVATE KEY", key.pkcs8())).unwrap();
        assert_eq!(imported.public_key().unwrap(), key.public_key().unwrap());
        crate::tokens::keys::jws::JwsSigner::new(&imported, "kid").unwrap();
    }
}

#[test]
fn sec1_ec_private_keys_import() {
    let key = PrivateKey::generate(SigningAlgorithm::Es256).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8()).unwrap();
    let sec1: EcPrivateKeyRfc5915Der = pair.private_key().as_der().unwrap();
    let imported = PrivateKey::from_pem(
        SigningAlgorithm::Es256,
        &pem_of("EC PRIVATE KEY", sec1.as_ref()),
    )
    .unwrap();
    assert_eq!(imported.public_key().unwrap(), key.public_key().unwrap());
}

#[test]
fn a_private_key_of_another_algorithm_is_refused() {
    let ed = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
    let pem = pem_of("PRIVATE KEY", ed.pkcs8());
    for alg in [SigningAlgorithm::Rs256, SigningAlgorithm::Es256] {
        assert!(matches!(
            PrivateKey::from_pem(alg, &pem),
            Err(Error::Validation(_))
        ));
    }
    assert!(PrivateKey::from_pem(SigningAlgorithm::Rs256, "not pem").is_err());
}

#[test]
fn public_pem_keys_are_recognised_by_algorithm() {
    for alg in SigningAlgorithm::ALL {
        let key = PrivateKey::generate(alg).unwrap();
        let public = PublicKey::from_pem(&public_pem(&key)).unwrap();
        assert_eq!(public.algorithm(), alg);
        assert_eq!(public, key.public_key().unwrap());
    }
    assert!(
        PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
    );
}

#[test]
fn debug_output_never_shows_private_bytes() {
    let key = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
    assert_eq!(format!("{key:?}"), "PrivateKey(EdDSA, [redacted])");
}
