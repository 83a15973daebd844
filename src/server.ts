/** Executable entry of the service; `npm start` runs `switchboard serve`, which calls startServer(). */
export {};
