// Prints a bearer token for local use: `npm run token -- [subject] [hours] [scope]`.
// Signed HS256 with JWT_SECRET (from the environment or .env), like any client's;
// scope defaults to "jobs:read jobs:write" (add "admin" for every job and the queue).
import { SignJWT } from 'jose';

const [subject = 'local-user', hours = '24', scope = 'jobs:read jobs:write'] = process.argv.slice(2);
const secret = process.env.JWT_SECRET;
if (!secret) {
  console.error('JWT_SECRET is not set (copy .env.example to .env, or export it)');
  process.exit(1);
}
let jwt = new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(subject).setIssuedAt();
jwt = jwt.setExpirationTime(`${Number(hours)}h`);
if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
console.log(await jwt.sign(new TextEncoder().encode(secret)));
