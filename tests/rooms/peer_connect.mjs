// Opens one PeerJS signalling socket the way the browser does and prints the first server message type.
// usage: node peer_connect.mjs URL  → prints e.g. "OPEN" or "ERROR:<msg>" or "CLOSED:<code>"
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "peer", "package.json"));
const WebSocket = require("ws");

const socket = new WebSocket(process.argv[2]);
const timer = setTimeout(() => { console.log("TIMEOUT"); process.exit(2); }, 5000);
const done = (line) => { clearTimeout(timer); console.log(line); socket.terminate(); process.exit(0); };
socket.on("message", (data) => {
  const msg = JSON.parse(data.toString());
  done(msg.type === "ERROR" ? `ERROR:${msg.payload?.msg ?? ""}` : msg.type);
});
socket.on("close", (code) => done(`CLOSED:${code}`));
socket.on("error", (err) => done(`FAILED:${err.message}`));
