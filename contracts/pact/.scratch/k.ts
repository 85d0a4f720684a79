import { exportJWK, generateKeyPair } from 'jose';
const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
console.log(JSON.stringify(await exportJWK(privateKey)));
