/**
 * Registers every parameter-free measure focuslite ships (import for the side effect): the one
 * list `--method`, `compare --methods all` and the workers' registry lookups share. A new family
 * of measures adds its registration module here.
 */
import './register-maxpol.js';
import './register-indices.js';
