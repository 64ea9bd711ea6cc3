// Imported first by the command-line entry points. The pinned AWS SDK warns, as it loads, that its
// releases after early 2027 need Node 22; the pinned versions run on the Node 20 of dev machines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
