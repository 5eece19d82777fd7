import { documentsContract } from "./documents.contract.js";
import { openTempPostgres, pgSuiteSkip } from "./pg-temp.js";

documentsContract("postgres", openTempPostgres, { skip: await pgSuiteSkip("postgres documents contract") });
