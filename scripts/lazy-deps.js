"use strict";
// Deferred loading of heavy modules that a dependency requires at start but
// rarely uses. `deferModules(["typescript"])` makes `require("typescript")`
// from inside node_modules/@pulumi/ return a stand-in that loads the real
// module on first use (any property read, `in`, key listing), so a process
// that never uses it never pays for loading it. Used by bin/spive.js only.
const Module = require("node:module");

/** Defers `names` when required by Pulumi's packages; returns a function undoing it. */
function deferModules(names) {
  const deferred = new Set(names);
  const originalLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (deferred.has(request) && parent && /[\\/]node_modules[\\/]@pulumi[\\/]/.test(parent.filename || "")) {
      return lazyModule(() => originalLoad.call(this, request, parent, isMain));
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  return () => {
    Module._load = originalLoad;
  };
}

/** A stand-in for a module's exports that loads it on first use. */
function lazyModule(load) {
  let real;
  const get = () => (real ??= load());
  return new Proxy(
    {},
    {
      get(_, prop) {
        // TypeScript's __importStar keeps an object marked as an ES module as it is, without listing its keys.
        if (prop === "__esModule" && real === undefined) return true;
        return Reflect.get(get(), prop);
      },
      has: (_, prop) => Reflect.has(get(), prop),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor(_, prop) {
        const d = Reflect.getOwnPropertyDescriptor(get(), prop);
        return d && { ...d, configurable: true };
      },
      set: (_, prop, value) => Reflect.set(get(), prop, value),
      apply: (_, thisArg, args) => Reflect.apply(get(), thisArg, args),
    },
  );
}

module.exports = { deferModules, lazyModule };
