// panva/oidc-provider configured like Janua for bench/oauth.sh: one confidential client per
// signing algorithm with only the client_credentials grant and the `api` scope, client_secret_basic,
// JWT access tokens (15 min) signed with the client's algorithm for the resource
// https://api.example.com, introspection enabled. A fourth client gets opaque tokens, which are
// what oidc-provider can introspect (it does not keep JWT access tokens). In-memory adapter,
// one Node process. Env: PORT, ISSUER.
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.PORT || 3000);
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const jwk = (type, options) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: "jwk" }),
  use: "sig",
});
const keys = [
  { ...jwk("rsa", { modulusLength: 2048 }), alg: "RS256", kid: "rs256" },
  { ...jwk("ec", { namedCurve: "P-256" }), alg: "ES256", kid: "es256" },
  { ...jwk("ed25519"), alg: "EdDSA", kid: "eddsa" },
];
const algs = ["RS256", "ES256", "EdDSA", "opaque"];
const clients = algs.map((alg) => ({
  client_id: `bench-${alg}`,
  client_secret: `bench-secret-${alg}-0123456789abcdef0123456789`,
  grant_types: ["client_credentials"],
  redirect_uris: [],
  response_types: [],
  scope: "api",
  token_endpoint_auth_method: "client_secret_basic",
}));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys },
  scopes: ["api"],
  ttl: { ClientCredentials: 900 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "https://api.example.com",
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource, client) => {
        const alg = client.clientId.replace("bench-", "");
        return alg === "opaque"
          ? { scope: "api", audience: resource, accessTokenTTL: 900, accessTokenFormat: "opaque" }
          : { scope: "api", audience: resource, accessTokenTTL: 900, accessTokenFormat: "jwt", jwt: { sign: { alg } } };
      },
    },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ["RS256", "ES256", "EdDSA"],
  },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
