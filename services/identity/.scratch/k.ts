import { deriveSigningJwk, generateSigningJwk } from '/work/main/services/identity/src/domain/signingKey.ts';
import { importJWK, SignJWT, jwtVerify, calculateJwkThumbprint } from 'jose';
const j = deriveSigningJwk('abc'); console.log(j, deriveSigningJwk('abc').x === j.x, generateSigningJwk().kid);
console.log(await calculateJwkThumbprint({kty:'OKP',crv:'Ed25519',x:j.x}));
const k = await importJWK(j, 'EdDSA');
const t = await new SignJWT({a:1}).setProtectedHeader({alg:'EdDSA'}).sign(k);
const {d, ...pub} = j;
console.log((await jwtVerify(t, await importJWK(pub,'EdDSA'))).payload);
