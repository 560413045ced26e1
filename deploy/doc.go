// Package deploy holds the production deployment files that are not at the repository's
// root: the env file template of docker-compose.yml (.env.example), the MySQL
// initialisation script (mysql/initdb) and the Temporal cluster's configuration
// (temporal/: the server's, shared with cluster mode, and the Web UI's). Its tests load
// docker-compose.yml with compose-go and check it, the Dockerfile and these files against
// the binary's configuration and against cluster mode, since no Docker engine runs where
// the tests do.
package deploy
