/**
 * Loaded with `node --import` before bin/cnn.js by tests that run the real CLI on a fixture dataset:
 * registers the definition given (as JSON) in CNN_TEST_DATASET_DEFINITION, the way the in-process
 * tests call registerDataset, so the CLI checks the fixture's own pinned hash. Only tests load this.
 */
import { registerDataset, type AnyDatasetDefinition } from '../../src/data/index.js';

const json = process.env.CNN_TEST_DATASET_DEFINITION;
if (json) registerDataset(JSON.parse(json) as AnyDatasetDefinition);
