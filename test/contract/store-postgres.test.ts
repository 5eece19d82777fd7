import { openTempPostgres, pgSuiteSkip } from "./pg-temp.js";
import { storeContract } from "./store.contract.js";

storeContract("postgres", openTempPostgres, { skip: await pgSuiteSkip("postgres store contract") });
