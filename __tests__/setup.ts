import { Testing } from "cdktf";

// Adds toHaveResourceWithProperties & co. to expect().
Testing.setupJest();
