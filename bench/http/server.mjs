// One benchmark server in its own process, so its CPU time can be measured alone.
// argv: <framework> <variant>; tells the parent its port over IPC, answers `cpu` with process.cpuUsage().
import { buildApp } from './apps.mjs';

const [framework, variant] = process.argv.slice(2);
const app = await buildApp(framework, variant);
const server = await app.listen();
if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
process.send({ port: server.address().port });
